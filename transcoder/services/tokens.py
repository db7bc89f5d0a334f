"""API tokens: issue a key, keep only its hash; scopes only for who may use them."""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied

# What each scope lets a token do, as the admin permissions that allow the same.
SCOPE_PERMISSIONS = {
    "read": ("transcoder.view_asset",),
    "write": (
        "transcoder.add_asset",
        "transcoder.change_asset",
        "transcoder.delete_asset",
    ),
}


class TokenScopeError(PermissionDenied):
    """A user asked for a token scope they could not use through the admin."""


def token_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_scopes_check(*, token, user):
    """Raise TokenScopeError unless ``user`` holds every permission of its scopes."""
    for scope in token.scopes:
        missing = [p for p in SCOPE_PERMISSIONS[scope] if not user.has_perm(p)]
        if missing:
            raise TokenScopeError(
                f"You may not give a token the {scope} scope: it needs the "
                f"{', '.join(missing)} permission."
            )


def api_token_issue(*, token, user=None):
    """Give a new API token its key, store only its hash, and return the key once.

    With ``user`` (the admin), the token's scopes are checked against what that
    user may do through the admin.
    """
    if user is not None:
        api_token_scopes_check(token=token, user=user)
        token.created_by = user
    key = secrets.token_urlsafe(32)
    token.prefix = key[:8]
    token.key_hash = token_hash(key)
    token.save()
    return key


def api_token_save(*, token, user):
    """Save an edited token after checking the scopes it now has."""
    api_token_scopes_check(token=token, user=user)
    token.save()
    return token
