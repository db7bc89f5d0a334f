"""The Trash: deleting is undoable for MEDIAHUB_TRASH_DAYS, then it is for good.

Deleting an asset (``asset_delete``) only stamps ``trashed_at``: its row, id,
versions, tags, focal area, collection, renditions, usage and stored objects
all stay, so ``asset_restore`` gives back the very same asset and its embed
links work again. While it is in the Trash, ``Asset.objects`` leaves it out
(every list, search, count, filter and door), its embed links answer 410 and
it is no one's duplicate or look-alike. ``asset_erase`` (services.assets.assets)
removes it at once; the purge (services.background.maintenance) erases what has been in
the Trash longer than MEDIAHUB_TRASH_DAYS.
"""

import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from transcoder.conf import setting
from transcoder.models import Asset, AssetHashBand, Event
from transcoder.services.library.duplicates import (
    asset_hash_forget,
    asset_hash_set,
    library_write_lock,
)
from transcoder.services.outbox.changes import changes_record
from transcoder.services.rendering.renditions import renditions_enqueue

logger = logging.getLogger(__name__)


def trash_days():
    """Return how many days a deleted asset waits in the Trash."""
    return max(0, int(setting("TRASH_DAYS")))


def trash_expiry(asset):
    """Return when ``asset`` leaves the Trash for good (None if it is live)."""
    if asset.trashed_at is None:
        return None
    return asset.trashed_at + timedelta(days=trash_days())


def trash_days_left(asset, *, now=None):
    """Return the days ``asset`` has left in the Trash, a part day counting as
    one (just deleted: all of them; 0: erased at the next purge)."""
    expiry = trash_expiry(asset)
    if expiry is None:
        return None
    left = (expiry - (now or timezone.now())).total_seconds()
    return max(0, math.ceil(left / 86400))


def asset_delete(*, asset, by=None, now=None):
    """Move ``asset`` to the Trash; keep everything, stored objects included.

    It leaves its look-alikes' counts at once (it is no one's near duplicate
    while trashed). Deleting a trashed asset again changes nothing. Return the
    asset.
    """
    now = now or timezone.now()
    with transaction.atomic():
        library_write_lock()
        locked = Asset.all_objects.select_for_update().filter(pk=asset.pk).first()
        if locked is None or locked.trashed_at is not None:
            return locked or asset
        asset_hash_forget(asset=locked)
        AssetHashBand.objects.filter(asset_id=locked.pk).delete()
        Asset.all_objects.filter(pk=locked.pk).update(
            trashed_at=now,
            trashed_by=by if getattr(by, "pk", None) else None,
            near_duplicates=0,
        )
        changes_record(
            event=Event.DELETED,
            assets=[(locked.pk, locked.collection_id)],
            actor=by if getattr(by, "pk", None) else None,
            now=now,
        )
    asset.trashed_at, asset.near_duplicates = now, 0
    asset.trashed_by_id = getattr(by, "pk", None)
    logger.info("Asset %s: moved to the Trash by %s", asset.pk, by)
    return asset


@dataclass
class Restored:
    """What a restore did, and what the editor should be told about it."""

    asset: Asset
    notes: list = field(default_factory=list)


def asset_restore(*, asset):
    """Take ``asset`` out of the Trash, as it was; return a ``Restored``.

    It goes back to its collection, or to the default collection if that was
    deleted meanwhile (``collection_lost``), and says so. An asset whose file
    is in the library again (uploaded while this one was trashed) is restored
    all the same, as a duplicate, and the note says which asset it duplicates.
    """
    with transaction.atomic():
        library_write_lock()
        locked = Asset.all_objects.select_for_update().get(pk=asset.pk)
        result = Restored(asset=locked)
        if locked.trashed_at is None:
            return result
        if locked.collection_lost:
            result.notes.append(
                _(
                    "Its collection was deleted while it was in the Trash; it is "
                    "now in %(collection)s."
                )
                % {"collection": locked.collection.label}
            )
        twin = (
            Asset.objects.filter(content_hash=locked.content_hash)
            .order_by("created_at")
            .first()
        )
        if twin is not None:
            result.notes.append(
                _("The same file is also in the library as “%(title)s”.")
                % {"title": twin}
            )
        Asset.all_objects.filter(pk=locked.pk).update(
            trashed_at=None, trashed_by=None, collection_lost=False
        )
        locked.trashed_at, locked.trashed_by, locked.collection_lost = None, None, False
        changes_record(event=Event.RESTORED, assets=[(locked.pk, locked.collection_id)])
        # Counted again among its look-alikes, as if it were new (it has no
        # neighbours of its own while trashed).
        dhash, locked.dhash = locked.dhash, ""
        asset_hash_set(asset=locked, dhash=dhash)
        # Presets changed meanwhile passed it by: build what is missing (what
        # is ready stays) and work its state out again.
        renditions_enqueue(asset_id=locked.pk)
    logger.info("Asset %s: restored from the Trash", locked.pk)
    return result


def trash_erase(*, asset_id):
    """Erase an asset at once ("Erase now", the purge): its row and its current
    objects, and every version of them with MEDIAHUB_ERASE_VERSIONS."""
    from transcoder.services.assets.assets import asset_erase

    return asset_erase(asset_id=asset_id, versions=setting("ERASE_VERSIONS"))


def trash_expired(*, now=None):
    """Return the trashed assets whose time in the Trash is over, oldest first."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=trash_days())
    return Asset.trash.filter(trashed_at__lte=cutoff)
