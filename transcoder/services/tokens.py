"""API tokens: issue a key, keep only its hash."""

import secrets


def api_token_issue(*, token):
    """Give a new API token its key, store only its hash, and return the key once."""
    from transcoder.api import token_hash

    key = secrets.token_urlsafe(32)
    token.prefix = key[:8]
    token.key_hash = token_hash(key)
    token.save()
    return key
