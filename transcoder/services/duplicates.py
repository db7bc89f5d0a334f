"""Duplicates: the same file (content hash) or a look-alike (perceptual hash).

The lookups take ``assets``, the queryset of assets the caller may see
(default: all), so that "already in the library" never names an asset in a
collection the editor cannot see: pass the permission policy's queryset.
"""

import logging
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext

from transcoder.imaging import perceptual
from transcoder.models import Asset, AssetHashBand

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


def _candidates(value, exclude_id):
    band_match = Q()
    for band, part in enumerate(perceptual.bands(value)):
        band_match |= Q(band=band, value=part)
    ids = (
        AssetHashBand.objects.filter(band_match)
        .exclude(asset_id=exclude_id)
        .values("asset_id")
    )
    return Asset.objects.filter(pk__in=ids).exclude(dhash="")


def near_duplicates(*, asset, assets=None, threshold=None):
    """Return ``[(other asset, distance)]`` that look like ``asset``, closest first.

    Only assets sharing a band of the hash are compared (an index lookup);
    the pigeonhole rule makes that exhaustive up to perceptual.THRESHOLD.
    """
    if not asset.dhash:
        return []
    threshold = perceptual.THRESHOLD if threshold is None else threshold
    value = perceptual.from_hex(asset.dhash)
    candidates = _candidates(value, asset.pk)
    if assets is not None:
        candidates = candidates.filter(pk__in=assets.values("pk"))
    found = [
        (other, perceptual.distance(value, perceptual.from_hex(other.dhash)))
        for other in candidates
    ]
    found = [(o, d) for o, d in found if d <= threshold]
    found.sort(key=lambda pair: (pair[1], pair[0].created_at))
    return found


def near_duplicate_ids(*, assets):
    """Return the ids of ``assets`` that have a look-alike among ``assets``.

    For a reader limited to some collections, where the kept library-wide
    ``near_duplicates`` count would tell of look-alikes they may not see.
    One query: a look-alike pair has both counts above zero, so only those
    rows are read; pairs sharing a band of the hash are then compared, as the
    band index compares them.
    """
    rows = assets.filter(near_duplicates__gt=0).exclude(dhash="")
    values, buckets = {}, defaultdict(list)
    for pk, dhash in rows.values_list("pk", "dhash"):
        values[pk] = value = perceptual.from_hex(dhash)
        for band, part in enumerate(perceptual.bands(value)):
            buckets[(band, part)].append(pk)
    # One look-alike is enough: each asset stops at the first it finds (its
    # partner is marked too), so the work grows with the assets read, not
    # with every pair sharing a band.
    found = set()
    for pk, value in values.items():
        if pk in found:
            continue
        for band, part in enumerate(perceptual.bands(value)):
            partner = next(
                (
                    other
                    for other in buckets[(band, part)]
                    if other != pk
                    and perceptual.distance(value, values[other])
                    <= perceptual.THRESHOLD
                ),
                None,
            )
            if partner is not None:
                found.update((pk, partner))
                break
    return found


def _neighbour_ids(asset_id, dhash):
    if not dhash:
        return []
    value = perceptual.from_hex(dhash)
    return [
        pk
        for pk, other in _candidates(value, asset_id).values_list("pk", "dhash")
        if perceptual.distance(value, perceptual.from_hex(other))
        <= perceptual.THRESHOLD
    ]


def asset_hash_set(*, asset, dhash):
    """Store an asset's perceptual hash and keep the look-alike counts right.

    The asset's bands are rewritten, its neighbours' ``near_duplicates`` move
    by one each, and its own count is set: the list filter "has near
    duplicates" is then one indexed comparison, whatever the library's size.
    """
    with transaction.atomic():
        library_write_lock()
        old = _neighbour_ids(asset.pk, asset.dhash)
        new = _neighbour_ids(asset.pk, dhash)
        Asset.objects.filter(pk__in=set(old) - set(new)).update(
            near_duplicates=F("near_duplicates") - 1
        )
        Asset.objects.filter(pk__in=set(new) - set(old)).update(
            near_duplicates=F("near_duplicates") + 1
        )
        AssetHashBand.objects.filter(asset_id=asset.pk).delete()
        if dhash:
            parts = perceptual.bands(perceptual.from_hex(dhash))
            AssetHashBand.objects.bulk_create(
                AssetHashBand(asset_id=asset.pk, band=band, value=part)
                for band, part in enumerate(parts)
            )
        asset.dhash = dhash
        asset.near_duplicates = len(new)
        Asset.objects.filter(pk=asset.pk).update(dhash=dhash, near_duplicates=len(new))
    return asset


def asset_hash_forget(*, asset):
    """Take a deleted (or deleting) asset out of its neighbours' counts."""
    Asset.objects.filter(pk__in=_neighbour_ids(asset.pk, asset.dhash)).update(
        near_duplicates=F("near_duplicates") - 1
    )
