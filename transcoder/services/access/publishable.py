"""Publishable keys: read-only API keys a site ships in its page's JavaScript.

A key reads, through the permission policy, what its creator may view in the
collections chosen for it, and nothing else (``permissions.KeyReach``): this
is asked again on every request, so a creator deactivated, demoted or losing
the view grant takes the key's reach with them. It works only from its
origins. Only the creator (or a superuser) may change or revoke a key, and
revoking is final: the next request is refused.
"""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from transcoder import permissions
from transcoder.models import PublishableKey
from transcoder.services.access.sitekeys import origins_clean
from transcoder.services.access.tokens import token_creator_usable

PREFIX = "pk_"


class PublishableKeyError(PermissionDenied):
    """A publishable key is unknown, revoked, used from another site, or reaches
    nothing any more."""


class PublishableKeyOwnerError(PermissionDenied):
    """A user tried to change or revoke a publishable key someone else made."""


def looks_publishable(value):
    """Tell whether ``value`` has the shape of a publishable key."""
    return isinstance(value, str) and value.startswith(PREFIX) and len(value) <= 40


def publishable_origins_clean(text):
    """Return ``text`` as one lower-case origin a line, or raise ValidationError."""
    return origins_clean(
        text, empty=_("Name at least one origin, such as https://www.example.com.")
    )


def publishable_collections_check(*, user, collections):
    """Raise ValidationError unless ``user`` may view in every chosen collection."""
    if not collections:
        raise ValidationError(_("Choose at least one collection for the key to read."))
    for collection in collections:
        if not permissions.may_in(user, "view", collection):
            raise ValidationError(
                _(
                    "The key's creator may not view images in %(name)s; choose "
                    "collections they may view."
                )
                % {"name": collection.name}
            )


def publishable_keys_managed(*, user, queryset=None):
    """Narrow ``queryset`` to the keys ``user`` may manage; a superuser, all."""
    queryset = PublishableKey.objects.all() if queryset is None else queryset
    if user.is_superuser and user.is_active:
        return queryset
    return queryset.filter(created_by=user)


def publishable_key_issue(*, key, user, collections):
    """Give a new key its public value, made by ``user``, reading ``collections``."""
    key.allowed_origins = publishable_origins_clean(key.allowed_origins)
    publishable_collections_check(user=user, collections=collections)
    key.created_by = user
    key.key = f"{PREFIX}{secrets.token_urlsafe(24)}"
    with transaction.atomic():
        key.save()
        key.collections.set(collections)
    return key


def publishable_key_save(*, key, user, collections):
    """Save an edited key's name, origins and collections.

    Only the creator (or a superuser) may, the collections are checked against
    the creator, and a revoked key stays revoked.
    """
    mine = publishable_keys_managed(
        user=user, queryset=PublishableKey.objects.filter(pk=key.pk)
    )
    if not mine.exists():
        raise PublishableKeyOwnerError(_("You may only change keys you made."))
    key.allowed_origins = publishable_origins_clean(key.allowed_origins)
    publishable_collections_check(user=key.created_by, collections=collections)
    with transaction.atomic():
        updated = PublishableKey.objects.filter(pk=key.pk, active=True).update(
            name=key.name, allowed_origins=key.allowed_origins
        )
        if not updated:
            raise ValidationError(
                _("This key was revoked, and revoking is final. Create a new key.")
            )
        key.collections.set(collections)
    return key


def publishable_key_revoke(*, key, user):
    """Revoke a key for good: its next request is refused."""
    mine = publishable_keys_managed(
        user=user, queryset=PublishableKey.objects.filter(pk=key.pk)
    )
    if not mine.exists():
        raise PublishableKeyOwnerError(_("You may only revoke keys you made."))
    PublishableKey.objects.filter(pk=key.pk, active=True).update(
        active=False, revoked_at=timezone.now()
    )
    key.active = False
    return key


def publishable_key_find(*, value):
    """Return the active key ``value`` with its creator, or raise."""
    key = None
    if looks_publishable(value):
        key = (
            PublishableKey.objects.select_related("created_by")
            .filter(key=value, active=True)
            .first()
        )
    if key is None:
        raise PublishableKeyError(_("This publishable key is unknown or revoked."))
    return key


def publishable_key_reach(*, key, origin):
    """Return what ``key`` may read when used from ``origin``, or raise.

    The answer is the policy's actor for the key: its creator's view reach
    cut down to the chosen collections.
    """
    if not origin or origin not in key.origins:
        raise PublishableKeyError(
            _("This publishable key is not allowed on this site (Origin).")
        )
    if not token_creator_usable(key.created_by):
        raise PublishableKeyError(
            _(
                "This key no longer works: the account that made it was removed, "
                "deactivated or is no longer staff. Create a new key."
            )
        )
    reach = permissions.KeyReach(
        key.created_by, key.collections.values_list("path", flat=True)
    )
    if not permissions.may(reach, "view"):
        raise PublishableKeyError(
            _(
                "This key's creator may no longer view images in any of its "
                "collections, so it reads nothing."
            )
        )
    return reach


def publishable_key_touch(*, key):
    """Note that ``key`` was used: at most one write a minute."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        PublishableKey.objects.filter(pk=key.pk).update(last_used_at=now)
