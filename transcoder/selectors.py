"""Reads: rendition lookup with fallback, URLs and picture/srcset data.

Nothing here builds an image: a page only looks up what exists.
"""

from django.db.models import Prefetch

from transcoder import permissions
from transcoder.delivery.negotiation import negotiate
from transcoder.imaging.specs import FORMATS
from transcoder.models import Collection, Rendition, RenditionStatus, TaggedAsset

# The order browsers should try when several formats exist.
FORMAT_PREFERENCE = ["avif", "webp", "jpeg", "png"]
# Formats every browser shows, for the admin's own previews.
STILL_FORMATS = ("webp", "jpeg", "png")


def ready_renditions(*, asset_id, preset_slug):
    """Return one active preset's ready renditions, current ones first.

    A deactivated preset is unpublished: nothing of it is looked up, nor is
    anything of an asset in the Trash (embed links, template tags).
    """
    return (
        Rendition.objects.filter(
            asset_id=asset_id,
            asset__trashed_at__isnull=True,
            preset__slug=preset_slug,
            preset__active=True,
            status=RenditionStatus.READY,
        )
        .select_related("preset")
        .order_by("superseded_at", "width")
    )


def _current(rows):
    """Keep the current renditions, or the newest superseded set if none is ready."""
    current = [r for r in rows if r.superseded_at is None]
    if current:
        return current
    if not rows:
        return []
    newest = max(r.superseded_at for r in rows)
    return [r for r in rows if r.superseded_at == newest]


def rendition_best(*, asset_id, preset_slug, format=None, width=None, accept=None):
    """Return the best ready rendition, or None if none is ready or acceptable.

    The format is the asked one, else negotiated from ``accept`` (see
    ``negotiation.negotiate``); then the narrowest rendition that covers
    ``width``, else the widest.
    """
    rows = _current(list(ready_renditions(asset_id=asset_id, preset_slug=preset_slug)))
    chosen = negotiate({r.format for r in rows}, asked=format, accept=accept)
    if chosen is None:
        return None
    rows = sorted((r for r in rows if r.format == chosen), key=lambda r: r.width)
    if width:
        wide_enough = [r for r in rows if r.width >= width]
        return wide_enough[0] if wide_enough else rows[-1]
    return rows[-1]


def picture_data(*, asset, preset_slug, url_for):
    """Return what a <picture> needs: a srcset per format, and a fallback image."""
    rows = _current(list(ready_renditions(asset_id=asset.pk, preset_slug=preset_slug)))
    if not rows:
        return None
    by_format = {}
    for row in rows:
        seen = by_format.setdefault(row.format, {})
        # A small original makes several widths come out the same size.
        seen.setdefault(row.width, row)
    sources = []
    for fmt in sorted(by_format, key=FORMAT_PREFERENCE.index):
        widths = sorted(by_format[fmt].values(), key=lambda r: r.width)
        sources.append(
            {
                "format": fmt,
                "mime": FORMATS[fmt].mime,
                "srcset": ", ".join(f"{url_for(r)} {r.width}w" for r in widths),
                "renditions": widths,
            }
        )
    fallback_format = next(
        (f for f in ("jpeg", "png") if f in by_format), sources[-1]["format"]
    )
    fallback = sorted(by_format[fallback_format].values(), key=lambda r: r.width)[-1]
    return {
        "sources": sources,
        "fallback": fallback,
        "src": url_for(fallback),
        "width": fallback.width,
        "height": fallback.height,
        "alt": alt_for(asset),
    }


def thumbnail_from(renditions, *, min_width=120):
    """Pick a small ready still from prefetched renditions, or None; never build one."""
    stills = [
        r
        for r in renditions
        if r.status == RenditionStatus.READY and r.format in STILL_FORMATS
    ]
    big_enough = [r for r in stills if r.width >= min_width]
    pool = big_enough or stills
    return min(pool, key=lambda r: r.width) if pool else None


def full_frame_rendition(asset):
    """Return the largest ready still that keeps the whole frame (no crop), or None."""
    return (
        Rendition.objects.filter(
            asset=asset,
            status=RenditionStatus.READY,
            superseded_at__isnull=True,
            format__in=STILL_FORMATS,
        )
        .exclude(preset__fit="cover")
        .order_by("-width")
        .first()
    )


def assets_missing_alt(queryset):
    """Return the assets of ``queryset`` with no alt text that are not decorative."""
    return queryset.filter(alt_text="", decorative=False)


def assets_missing_alt_count(queryset):
    """Count the assets of ``queryset`` that need alt text (the dashboard figure)."""
    return assets_missing_alt(queryset).count()


def alt_for(asset):
    """Return the alt text pages use: "" on purpose for a decorative image."""
    return "" if asset.decorative else asset.alt_text


def tags_prefetch():
    """Prefetch an asset list's tag names in one query (see ``tag_names``).

    Through the foreign key, not ``prefetch_related("tags")``: taggit's own
    prefetch compares UUID ids with their text form and finds nothing.
    """
    rows = TaggedAsset.objects.select_related("tag").order_by("tag__name")
    return Prefetch("tagged_items", queryset=rows, to_attr="mh_tags")


def tag_names(asset):
    """Return an asset's tag names, sorted, from ``tags_prefetch`` when made."""
    rows = getattr(asset, "mh_tags", None)
    if rows is None:
        return sorted(asset.tags.names())
    return [row.tag.name for row in rows]


def view_reach(user):
    """Return the assets ``user`` may view, or None when that is the whole library.

    Every count or list an editor sees is computed within this. None lets a
    caller keep its fast path (a kept count, a plain COUNT) for a user whose
    reach has no collection limit: a superuser, a model-wide permission, or a
    grant on the root collection.
    """
    root = Collection.objects.get_first_root_node()
    if root is not None and permissions.may_in(user, "view", root):
        return None
    return permissions.assets(user, "view")
