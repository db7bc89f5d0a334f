"""Reads: rendition lookup with fallback, URLs and picture/srcset data.

Nothing here builds an image: a page only looks up what exists.
"""

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    Sum,
    UUIDField,
)
from django.db.models.lookups import IsNull
from django.utils.text import smart_split, unescape_string_literal
from taggit.models import Tag

from transcoder import permissions
from transcoder.delivery.negotiation import negotiate
from transcoder.imaging.specs import FORMATS
from transcoder.models import (
    Collection,
    CollectionTotals,
    Rendition,
    RenditionState,
    RenditionStatus,
    TaggedAsset,
    TagTotals,
)

# The kept states that count as "some failed" (the list filter's choice too).
FAILED_STATES = [RenditionState.FAILED, RenditionState.FAILED_PENDING]

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


TOTALS = ("assets", "original_bytes", "rendition_bytes", "missing_alt", "failed")


def collection_totals(user):
    """Return each collection ``user`` may view that holds assets, with its sums.

    A list of dicts: ``collection_id``, ``name``, ``path`` and the TOTALS of
    the assets directly in it. On PostgreSQL they are read from the kept
    totals (one row per collection, however large the library); elsewhere
    they are aggregated live.
    """
    reach = permissions.collections(user, "view").values("pk")
    names = {"name": "collection__name", "path": "collection__path"}
    if connection.vendor == "postgresql":
        rows = CollectionTotals.objects.filter(collection__in=reach, assets__gt=0)
        return [
            {"collection_id": r.pop("collection_id"), **r}
            for r in rows.values("collection_id", *TOTALS, **_renamed(names))
        ]
    visible = permissions.assets(user, "view")
    rows = list(
        visible.values("collection_id")
        .annotate(
            assets=Count("pk"),
            original_bytes=Sum("bytes"),
            missing_alt=Count("pk", filter=Q(alt_text="", decorative=False)),
            failed=Count("pk", filter=Q(rendition_state__in=FAILED_STATES)),
            **_renamed(names),
        )
        .order_by()
    )
    rendition_bytes = dict(
        Rendition.objects.filter(asset__in=visible.values("pk"))
        .values("asset__collection_id")
        .annotate(total=Sum("bytes"))
        .values_list("asset__collection_id", "total")
        .order_by()
    )
    for row in rows:
        row["original_bytes"] = row["original_bytes"] or 0
        row["rendition_bytes"] = rendition_bytes.get(row["collection_id"]) or 0
    return rows


def _renamed(names):
    return {alias: F(field) for alias, field in names.items()}


def tag_counts(user, limit):
    """Return ``[(tag name, assets)]``: the ``limit`` most used tags ``user`` sees.

    Counted within the assets ``user`` may view, most used first; from the
    kept totals on PostgreSQL, live elsewhere.
    """
    reach = permissions.collections(user, "view").values("pk")
    if connection.vendor == "postgresql":
        rows = (
            TagTotals.objects.filter(collection__in=reach)
            .values("tag__name")
            .annotate(n=Sum("assets"))
            .filter(n__gt=0)
            .order_by("-n", "tag__name")
            .values_list("tag__name", "n")
        )
        return list(rows[:limit])
    visible = view_reach(user)
    items = "transcoder_taggedasset_items"
    if visible is None:
        # A join ignores the default manager: the Trash is left out here.
        tags = Tag.objects.filter(
            **{f"{items}__content_object__trashed_at__isnull": True}
        )
    else:
        # Filtered before the annotation: the count takes the same join.
        tags = Tag.objects.filter(
            **{f"{items}__content_object__in": visible.values("pk")}
        )
    rows = tags.annotate(n=Count(items)).order_by("-n", "name")[:limit]
    return [(t.name, t.n) for t in rows]


SEARCHED = (
    "title",
    "alt_text",
    "original_filename",
    # Read from the file's IPTC, XMP and EXIF at upload (imaging.decode.metadata).
    "caption",
    "creator",
    "credit",
    "copyright",
    "camera",
)


def search_terms(text):
    """Split a search as the admin does: words, or "quoted phrases"."""
    terms = []
    for bit in smart_split(text):
        if bit[:1] in "\"'" and len(bit) > 1 and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit.strip():
            terms.append(bit)
    return terms


# A term's tags on more assets than this are checked row by row (see below).
DENSE_TAG_ASSETS = 5000


def assets_search(queryset, terms):
    """Narrow ``queryset`` to assets where each of ``terms`` is in the title,
    the alt text, the file name, a field read from the file's metadata or a
    tag's name.

    The tags each term names are looked up first, in the small tag table
    (one query for every term). A term no tag contains is then only the
    ``icontains`` of SEARCHED, which the trigram indexes answer (migrations
    0008 and 0014). A term
    that names tags adds them: as an id set where they are on few assets;
    row by row where they are on many, so that a list newest first stops
    after a page of matches instead of reading every tagged asset. No join:
    one row per asset, and no DISTINCT over the matches.
    """
    if not terms:
        return queryset
    named = Q()
    for term in terms:
        named |= Q(name__icontains=term)
    tags = list(Tag.objects.filter(named).values_list("pk", "name"))
    used = _tag_usage([pk for pk, _ in tags])
    for term in terms:
        found = Q()
        for field in SEARCHED:
            found |= Q(**{f"{field}__icontains": term})
        ids = [pk for pk, name in tags if term.upper() in name.upper()]
        if ids:
            tagged = TaggedAsset.objects.filter(tag_id__in=ids)
            if sum(used.get(pk, 0) for pk in ids) <= DENSE_TAG_ASSETS:
                found |= Q(pk__in=tagged.values("content_object_id"))
            else:
                # The outer IS NOT NULL (always true) keeps PostgreSQL from
                # turning the EXISTS into a hash of every tagged asset.
                outer = ExpressionWrapper(OuterRef("pk"), output_field=UUIDField())
                row = tagged.filter(IsNull(outer, False), content_object=OuterRef("pk"))
                found |= Exists(row)
        queryset = queryset.filter(found)
    return queryset


def _tag_usage(tag_ids):
    """Return ``{tag id: assets}`` from the kept totals; {} where none are kept."""
    if not tag_ids or connection.vendor != "postgresql":
        return {}
    rows = (
        TagTotals.objects.filter(tag_id__in=tag_ids)
        .values("tag_id")
        .annotate(n=Sum("assets"))
        .values_list("tag_id", "n")
    )
    return dict(rows)
