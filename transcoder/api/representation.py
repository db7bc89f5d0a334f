"""How an asset looks in the API: facts, embed links and signed rendition URLs."""

from django.db.models import Prefetch
from django.urls import reverse

from transcoder import layout, selectors, status
from transcoder.api.edits import edit_json
from transcoder.delivery import serving
from transcoder.models import Asset, Rendition, RenditionStatus

# An asset whose state could not be read (erased meanwhile): nothing to build.
_NO_STATE = {
    "state": status.PROCESSING,
    "ready": 0,
    "failed": 0,
    "pending": 0,
    "total": 0,
    "reasons": [],
}


def assets_for_api(*, renditions=True):
    """Assets with their current ready renditions of active presets, prefetched.

    Without ``renditions`` only what the embed map needs (the preset of each)
    is fetched: a list page then carries no signed URL at all.
    """
    published = Rendition.objects.filter(
        status=RenditionStatus.READY,
        superseded_at__isnull=True,
        preset__active=True,
    ).select_related("preset")
    if not renditions:
        published = published.only(
            "asset",
            "preset__slug",
            "preset__width",
            "preset__widths",
            "width",
            "height",
            "format",
        )
    return Asset.objects.prefetch_related(
        Prefetch("renditions", queryset=published, to_attr="published"),
        selectors.tags_prefetch(),
    )


def asset_states(assets):
    """Return ``{asset id: state}`` of ``assets`` in a few queries (status.py)."""
    return status.asset_states(asset_ids=[a.pk for a in assets])


def asset_json(request, asset, *, renditions=True, state=None):
    """An asset as the API gives it; ``renditions=False`` leaves out the
    ``renditions`` array (and its signatures), as list pages do by default.

    ``state`` is the asset's entry of ``asset_states``; looked up if not given.
    """
    if state is None:
        state = asset_states([asset]).get(str(asset.pk)) or _NO_STATE
    rows = sorted(
        getattr(asset, "published", None) or [],
        key=lambda r: (r.preset.slug, r.width, r.format),
    )
    presets = sorted({r.preset.slug for r in rows})
    embeds = {
        slug: request.build_absolute_uri(
            reverse("transcoder:embed", args=[asset.pk, slug])
        )
        for slug in presets
    }
    data = {
        "id": str(asset.pk),
        "title": asset.title,
        "alt": selectors.alt_for(asset),
        "decorative": asset.decorative,
        "tags": selectors.tag_names(asset),
        "file_name": asset.original_filename,
        "caption": asset.caption,
        "creator": asset.creator,
        "credit": asset.credit,
        "copyright": asset.copyright,
        "captured_at": asset.captured_at.isoformat() if asset.captured_at else None,
        "camera": asset.camera,
        "width": asset.width,
        "height": asset.height,
        "format": asset.format,
        "focal_point": list(asset.focal) if asset.focal else None,
        "edit": edit_json(asset),
        "focal_area": focal_area(asset),
        "collection": asset.collection_id,
        "created_at": asset.created_at.isoformat(),
        "updated_at": asset.updated_at.isoformat(),
        "embed": embeds,
        "layout": {
            slug: layout.embed_layout(
                embeds[slug],
                [r for r in rows if r.preset.slug == slug],
                next(r.preset for r in rows if r.preset.slug == slug),
            )
            for slug in presets
        },
        "placeholder": layout.placeholder_json(asset),
        "status": state["state"],
        "progress": {
            name: state[name] for name in ("ready", "failed", "pending", "total")
        },
        "reasons": state["reasons"],
    }
    if renditions:
        data["renditions"] = [
            {
                "preset": r.preset.slug,
                "format": r.format,
                "width": r.width,
                "height": r.height,
                "bytes": r.bytes,
                "animated": r.animated,
                "frames": r.frames,
                "duration_ms": r.duration_ms,
                "quality": r.quality,
                "score": r.score,
                "url": request.build_absolute_uri(serving.rendition_url(r)),
            }
            for r in rows
        ]
    return data


def focal_area(asset):
    """Return the area cover crops use, and whose it is, or None (the centre)."""
    source = asset.focal_source
    if source == "editor":
        return {
            "x": asset.focal_x,
            "y": asset.focal_y,
            "width": asset.focal_width or None,
            "height": asset.focal_height or None,
            "source": source,
        }
    if source == "suggested":
        return {**asset.focal_suggestion, "source": source}
    return None
