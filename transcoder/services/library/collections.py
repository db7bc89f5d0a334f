"""Collections: create, rename, move and delete them, set who may do what in
them, and move assets between them."""

import logging

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from transcoder import permissions
from transcoder.conf import setting
from transcoder.models import (
    Asset,
    Collection,
    Event,
    GroupCollectionPermission,
    collection_at,
    root_collection,
)
from transcoder.services.library.duplicates import library_write_lock
from transcoder.services.outbox.changes import changes_record

logger = logging.getLogger(__name__)


class CollectionError(ValidationError):
    """A collection change that would break the tree or lose assets."""


def collection_by_path(path):
    """Return the collection named by "Root/Inbox", or None if there is none."""
    return collection_at(path)


def collection_default():
    """Return MEDIAHUB_DEFAULT_COLLECTION's collection, creating missing levels.

    A deployment names it once in its settings; making it on first use means a
    fresh database needs no manual step before the first S3 event.
    """
    path = setting("DEFAULT_COLLECTION")
    found = collection_by_path(path)
    if found is not None:
        return found
    node = root_collection()
    names = [n.strip() for n in path.split("/") if n.strip()]
    if names and names[0] == node.name:
        names = names[1:]
    for name in names:
        child = Collection.objects.get_children(node).filter(name=name).first()
        if child is None:
            try:
                child = collection_create(parent=node, name=name)
            except (CollectionError, IntegrityError):
                # Made meanwhile by a racing process.
                child = Collection.objects.get_children(node).get(name=name)
        node = child
    logger.info("Created the default collection %s", path)
    return node


def _clean_name(name):
    name = (name or "").strip()
    if not name or len(name) > 255 or "/" in name:
        raise CollectionError(
            _("A collection name is 1 to 255 characters, without a slash.")
        )
    return name


def _check_sibling(parent, name, exclude=None):
    siblings = Collection.objects.get_children(parent).filter(name=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude.pk)
    if siblings.exists():
        raise CollectionError(
            _("%(parent)s already has a collection named %(name)s.")
            % {"parent": parent.name, "name": name}
        )


def collection_create(*, parent, name):
    """Add a collection named ``name`` under ``parent``."""
    name = _clean_name(name)
    with transaction.atomic():
        parent = Collection.objects.select_for_update().get(pk=parent.pk)
        _check_sibling(parent, name)
        return Collection.objects.add_child(parent, create_kwargs={"name": name})


def collection_update(*, collection, name, user, parent=None):
    """Rename ``collection`` and, with ``parent``, move it (with its subtree) there.

    A move changes the grants its assets inherit: ``user`` must be allowed to
    give or take away each action whose holders change (``move_refusals``).
    """
    name = _clean_name(name)
    with transaction.atomic():
        collection = Collection.objects.get(pk=collection.pk)
        current_parent = Collection.objects.get_parent(collection)
        target = parent or current_parent
        if collection.is_root():
            if parent is not None:
                raise CollectionError(_("The root collection cannot be moved."))
            target = None
        elif target.pk == collection.pk or target.is_descendant_of(collection):
            raise CollectionError(_("A collection cannot move into itself."))
        refused = permissions.move_refusals(user, collection, target)
        if refused:
            raise CollectionError(
                _(
                    "Moving %(name)s under %(parent)s would give or take away "
                    "%(actions)s on its images: only who holds a permission "
                    "there may pass it on."
                )
                % {
                    "name": collection.name,
                    "parent": target.name,
                    "actions": get_text_list(refused, _("and")),
                }
            )
        if target is not None:
            _check_sibling(target, name, exclude=collection)
        if collection.name != name:
            Collection.objects.filter(pk=collection.pk).update(name=name)
            collection.name = name
        if target is not None and target.pk != current_parent.pk:
            Collection.objects.move(collection, target, pos="sorted-child")
        return Collection.objects.get(pk=collection.pk)


def collection_delete(*, collection):
    """Delete an empty collection; refuse the root and any with assets or children.

    Assets in the Trash do not keep it: they move to the default collection.
    """
    collection = Collection.objects.get(pk=collection.pk)
    if collection.is_root():
        raise CollectionError(_("The root collection cannot be deleted."))
    if Collection.objects.get_children_count(collection):
        raise CollectionError(
            _("%(name)s has collections inside it; move or delete them first.")
            % {"name": collection.name}
        )
    count = Asset.objects.filter(collection=collection).count()
    if count:
        raise CollectionError(
            ngettext(
                "%(name)s holds %(count)d asset; move it to another collection first.",
                "%(name)s holds %(count)d assets; move them to another collection "
                "first.",
                count,
            )
            % {"name": collection.name, "count": count}
        )
    with transaction.atomic():
        # Its trashed assets wait in the default collection (the root, if this
        # is the default one); a restore says so.
        target = collection_default()
        if target.pk == collection.pk:
            target = root_collection()
        Asset.trash.filter(collection=collection).update(
            collection=target, collection_lost=True
        )
        collection.delete()


def assets_move(*, asset_ids, collection):
    """Put the assets ``asset_ids`` into ``collection``; return how many moved.

    Callers pass only ids the user may change and a collection they may add
    to (see transcoder.permissions).
    """
    with transaction.atomic():
        library_write_lock()  # before any row: see services.outbox.changes
        moving = list(
            Asset.objects.filter(pk__in=list(asset_ids))
            .exclude(collection=collection)
            .values_list("pk", "collection_id")
        )
        moved = Asset.objects.filter(pk__in=[pk for pk, _ in moving]).update(
            collection=collection, updated_at=timezone.now()
        )
        changes_record(
            event=Event.UPDATED,
            assets=[(pk, collection.pk, was) for pk, was in moving],
        )
    return moved


def collection_permissions_set(*, collection, grants, user):
    """Make ``grants`` ({group or group id: actions}) the groups' own permissions
    on ``collection``; return (added, removed).

    Groups not named keep theirs, and what is inherited from above is never
    stored here. Every permission given or taken away must be one ``user`` may
    give there (``permissions.may_grant``); one that is not refuses the whole
    change, and so does an unknown group or action: all is stored or nothing.
    """
    wanted = {}
    for group, actions in grants.items():
        actions = set(actions)
        unknown = sorted(actions - set(permissions.ACTIONS))
        if unknown:
            raise CollectionError(
                _(
                    "%(action)r is not a permission here; use add, view, change "
                    "or delete."
                )
                % {"action": unknown[0]}
            )
        wanted[getattr(group, "pk", group)] = actions
    with transaction.atomic():
        # Read again in the transaction: the path after a move this request.
        collection = Collection.objects.select_for_update().get(pk=collection.pk)
        groups = Group.objects.in_bulk(list(wanted))
        missing = [g for g in wanted if g not in groups]
        if missing:
            raise CollectionError(
                _("There is no group with the id %(id)r.") % {"id": missing[0]}
            )
        codes = {f"{a}_asset": a for a in permissions.ACTIONS}
        perms = {
            codes[p.codename]: p
            for p in Permission.objects.filter(
                content_type__app_label="transcoder", codename__in=codes
            )
        }
        current = {
            (row.group_id, codes[row.permission.codename]): row.pk
            for row in GroupCollectionPermission.objects.filter(
                collection=collection, group__in=list(wanted)
            ).select_related("permission")
            if row.permission.codename in codes
        }
        added = [(g, a) for g, actions in wanted.items() for a in actions]
        added = [k for k in added if k not in current]
        removed = [k for k in current if k[1] not in wanted[k[0]]]
        permissions.forget(user)
        refused = [
            a
            for a in permissions.ACTIONS
            if a in {k[1] for k in added + removed}
            and not permissions.may_grant(user, a, collection)
        ]
        if refused:
            raise CollectionError(
                _(
                    "You may not give or take away %(action)s in %(where)s: "
                    "only who holds a permission there may pass it on."
                )
                % {"action": refused[0], "where": collection.name}
            )
        GroupCollectionPermission.objects.filter(
            pk__in=[current[k] for k in removed]
        ).delete()
        for group_id, action in sorted(added):
            GroupCollectionPermission.objects.create(
                group=groups[group_id], collection=collection, permission=perms[action]
            )
    logger.info(
        "%s set permissions on collection %s: %d added, %d removed",
        user,
        collection.pk,
        len(added),
        len(removed),
    )
    return len(added), len(removed)
