"""API tokens: issue a key, keep only its hash; a token acts as its creator.

A token reaches what its creator may reach through the permission policy,
never more: each scope needs the policy actions below somewhere, when the
token is made or edited and again on every use. Only the creator (or a
superuser) may change or revoke a token, and revoking is final.
"""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from transcoder import permissions
from transcoder.models import ApiToken

# What each scope lets a token do, as policy actions; one of them, in some
# collection, is enough: each API operation then asks for its own action.
SCOPE_ACTIONS = {
    "read": ("view",),
    "write": ("add", "change", "delete"),
}


class TokenScopeError(PermissionDenied):
    """A token scope asks for more than the token's creator may do."""


class TokenOwnerError(PermissionDenied):
    """A user tried to change or revoke a token someone else made."""


class TokenRevokedError(PermissionDenied):
    """A revoked token cannot be switched back on."""


def token_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def token_creator_usable(user):
    """Tell whether a token made by ``user`` may still be used at all."""
    return user is not None and user.is_active and user.is_staff


def api_token_scope_allowed(*, scope, user):
    """Tell whether ``user`` may do, through the policy, what ``scope`` allows."""
    return permissions.may_any(user, SCOPE_ACTIONS[scope])


def api_token_scopes_check(*, token, user):
    """Raise TokenScopeError unless ``user`` may use every scope of ``token``."""
    for scope in token.scopes:
        if api_token_scope_allowed(scope=scope, user=user):
            continue
        if scope == "read":
            message = _(
                "A token with the read scope needs a creator who may view images "
                "in some collection; %(user)s may not. Untick read, or ask an "
                "administrator for access to a collection."
            )
        else:
            message = _(
                "A token with the write scope needs a creator who may add, change "
                "or delete images in some collection; %(user)s may not. Untick "
                "write, or ask an administrator for access to a collection."
            )
        raise TokenScopeError(message % {"user": _creator_name(user)})


def _creator_name(user):
    return user.get_username() if user is not None else _("its deleted creator")


def api_token_issue(*, token, user=None):
    """Give a new API token its key, store only its hash, and return the key once.

    With ``user`` (the admin), the token is made by that user. Its scopes are
    checked against its creator; a token without a creator opens nothing.
    """
    if user is not None:
        token.created_by = user
    if token.created_by is not None:
        api_token_scopes_check(token=token, user=token.created_by)
    key = secrets.token_urlsafe(32)
    token.prefix = key[:8]
    token.key_hash = token_hash(key)
    token.save()
    return key


def api_tokens_managed(*, user, queryset=None):
    """Narrow ``queryset`` to the tokens ``user`` may manage; a superuser, all."""
    queryset = ApiToken.objects.all() if queryset is None else queryset
    if user.is_superuser and user.is_active:
        return queryset
    return queryset.filter(created_by=user)


def api_token_save(*, token, user):
    """Save an edited token's name, scopes and active flag.

    Only the creator (or a superuser) may, the scopes are checked against the
    creator, and a revoked token stays revoked: the update only touches a
    row that is still active, so a revocation in between is never undone.
    """
    stored = api_tokens_managed(
        user=user, queryset=ApiToken.objects.filter(pk=token.pk)
    ).values_list("active", flat=True)
    if not stored:
        raise TokenOwnerError(_("You may only change API tokens you made."))
    revoked = TokenRevokedError(
        _("This token was revoked, and revoking is final. Create a new token instead.")
    )
    if not stored[0]:
        raise revoked
    if token.active:
        api_token_scopes_check(token=token, user=token.created_by)
    updated = ApiToken.objects.filter(pk=token.pk, active=True).update(
        name=token.name,
        active=token.active,
        scope_read=token.scope_read,
        scope_write=token.scope_write,
    )
    if not updated:  # revoked since the check above
        raise revoked
    return token


def api_token_revoke(*, token, user):
    """Revoke a token for good: its key answers 401 from now on."""
    mine = api_tokens_managed(user=user, queryset=ApiToken.objects.filter(pk=token.pk))
    if not mine.exists():
        raise TokenOwnerError(_("You may only revoke API tokens you made."))
    ApiToken.objects.filter(pk=token.pk).update(active=False)
    token.active = False
    return token
