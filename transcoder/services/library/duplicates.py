"""Duplicates: the same file (content hash) or a look-alike (perceptual hash).

The lookups take ``assets``, the queryset of assets the caller may see
(default: all), so that "already in the library" never names an asset in a
collection the editor cannot see: pass the permission policy's queryset.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext

from transcoder.imaging.analysis import perceptual
from transcoder.models import Asset, AssetHashBand, AssetLookalike

logger = logging.getLogger(__name__)


class DuplicateAssetError(ValidationError):
    """The file is already in the library; ``existing`` is that asset."""

    def __init__(self, existing):
        super().__init__(
            gettext("Already in the library as %(title)s.") % {"title": existing},
            code="DuplicateAssetError",
        )
        self.existing = existing


# One PostgreSQL advisory lock for the library's check-then-write steps.
_LIBRARY_LOCK = 0x6D656469  # "medi"


def library_write_lock():
    """Serialise, until the transaction ends, the steps that read then write
    the library's duplicates and look-alike counts.

    Two uploads of one file must not both pass the duplicate check, and two
    look-alikes inserted at once must count each other. SQLite's IMMEDIATE
    transactions already serialise every writer; PostgreSQL takes a
    transaction-scoped advisory lock. Call inside ``transaction.atomic()``.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LIBRARY_LOCK])


def duplicate_of(*, content_hash, assets=None):
    """Return the oldest visible asset whose original has ``content_hash``, or None."""
    assets = Asset.objects.all() if assets is None else assets
    return assets.filter(content_hash=content_hash).order_by("created_at").first()


def duplicate_check(*, content_hash, assets=None):
    """Raise DuplicateAssetError if an asset in ``assets`` has this content."""
    existing = duplicate_of(content_hash=content_hash, assets=assets)
    if existing is not None:
        raise DuplicateAssetError(existing)


def dhash_of(data):
    """Return the perceptual hash of image bytes as stored (16 hex), or ""."""
    try:
        return perceptual.to_hex(perceptual.dhash_bytes(data))
    except perceptual.PerceptualError as e:
        logger.warning("No perceptual hash: %s", e)
        return ""


def _neighbours(value, exclude_id):
    """Return ``{asset id: distance}`` of the live assets within THRESHOLD of
    the hash ``value``: one index lookup of the bands' probes (see
    imaging.analysis.perceptual), exhaustive up to the threshold."""
    # Only live assets have bands (the Trash takes them away); each row holds
    # the whole hash, so the covering index answers alone: one index-only
    # scan a band (UNION ALL; an OR of the bands would read the table's rows).
    bands = [
        AssetHashBand.objects.filter(band=band, value__in=values).values_list(
            "asset_id", "hash"
        )
        for band, values in perceptual.probes(value)
    ]
    rows = bands[0].union(*bands[1:], all=True)
    found = {}
    for pk, other in rows:
        if pk != exclude_id:
            d = perceptual.distance(value, perceptual.from_signed(other))
            if d <= perceptual.THRESHOLD:
                found[pk] = d
    return found


def near_duplicates(*, asset, assets=None, threshold=None):
    """Return ``[(other asset, distance)]`` that look like ``asset``, closest first.

    The kept pairs (AssetLookalike, written with the hashes) are read by
    index: as many rows as the asset has look-alikes, whatever the library's
    size. ``assets`` limits them to what the caller may see.
    """
    if not asset.dhash or not asset.pk:
        return []
    threshold = perceptual.THRESHOLD if threshold is None else threshold
    assets = Asset.objects.all() if assets is None else assets
    found = [
        (other, other.mh_distance)
        for other in assets.filter(
            lookalike_of__asset_id=asset.pk, lookalike_of__distance__lte=threshold
        ).annotate(mh_distance=F("lookalike_of__distance"))
    ]
    found.sort(key=lambda pair: (pair[1], pair[0].created_at))
    return found


def lookalikes_within(queryset, *, assets):
    """Narrow ``queryset`` to the assets with a look-alike among ``assets``.

    For a reader limited to some collections, where the kept library-wide
    ``near_duplicates`` count would tell of look-alikes they may not see. No
    query of its own, and no ids in Python: a condition on the kept pairs,
    checked by index for the few assets with a kept count above zero (both
    of a pair have one), so a page reads those in reach, not the library.
    """
    return queryset.filter(near_duplicates__gt=0).filter(_has_lookalike(assets))


def lookalikes_none_within(queryset, *, assets):
    """Narrow ``queryset`` to the assets with no look-alike among ``assets``."""
    return queryset.filter(~_has_lookalike(assets))


def _has_lookalike(assets):
    visible = assets.filter(pk=OuterRef("other_id"))
    return Exists(
        AssetLookalike.objects.filter(asset_id=OuterRef("pk")).filter(Exists(visible))
    )


def _forget_pairs(asset_id):
    AssetLookalike.objects.filter(Q(asset_id=asset_id) | Q(other_id=asset_id)).delete()


def asset_hash_set(*, asset, dhash):
    """Store an asset's perceptual hash and keep the look-alikes right.

    The asset's bands and pairs are rewritten, its neighbours'
    ``near_duplicates`` move by one each, and its own count is set: the list
    filter "has near duplicates" is then one indexed comparison, whatever the
    library's size.
    """
    with transaction.atomic():
        library_write_lock()
        old = set(
            AssetLookalike.objects.filter(asset_id=asset.pk).values_list(
                "other_id", flat=True
            )
        )
        new = _neighbours(perceptual.from_hex(dhash), asset.pk) if dhash else {}
        Asset.objects.filter(pk__in=old - set(new)).update(
            near_duplicates=F("near_duplicates") - 1
        )
        Asset.objects.filter(pk__in=set(new) - old).update(
            near_duplicates=F("near_duplicates") + 1
        )
        _forget_pairs(asset.pk)
        AssetLookalike.objects.bulk_create(
            AssetLookalike(asset_id=a, other_id=b, distance=d)
            for pk, d in new.items()
            for a, b in ((asset.pk, pk), (pk, asset.pk))
        )
        AssetHashBand.objects.filter(asset_id=asset.pk).delete()
        if dhash:
            value = perceptual.from_hex(dhash)
            AssetHashBand.objects.bulk_create(
                AssetHashBand(
                    asset_id=asset.pk,
                    band=band,
                    value=part,
                    hash=perceptual.to_signed(value),
                )
                for band, part in enumerate(perceptual.bands(value))
            )
        asset.dhash = dhash
        asset.near_duplicates = len(new)
        Asset.objects.filter(pk=asset.pk).update(dhash=dhash, near_duplicates=len(new))
    return asset


def asset_hash_forget(*, asset):
    """Take a deleted (or trashed) asset out of its neighbours' counts and pairs."""
    others = AssetLookalike.objects.filter(asset_id=asset.pk).values_list(
        "other_id", flat=True
    )
    Asset.objects.filter(pk__in=list(others)).update(
        near_duplicates=F("near_duplicates") - 1
    )
    _forget_pairs(asset.pk)
