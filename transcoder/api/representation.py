"""How an asset looks in the API: facts, embed links and signed rendition URLs."""

from django.db.models import Prefetch
from django.urls import reverse

from transcoder import selectors
from transcoder.delivery import serving
from transcoder.models import Asset, Rendition, RenditionStatus


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
        published = published.only("asset", "preset__slug", "width", "format")
    return Asset.objects.prefetch_related(
        Prefetch("renditions", queryset=published, to_attr="published"),
        selectors.tags_prefetch(),
    )


def asset_json(request, asset, *, renditions=True):
    """An asset as the API gives it; ``renditions=False`` leaves out the
    ``renditions`` array (and its signatures), as list pages do by default."""
    rows = sorted(
        getattr(asset, "published", None) or [],
        key=lambda r: (r.preset.slug, r.width, r.format),
    )
    presets = sorted({r.preset.slug for r in rows})
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
        "collection": asset.collection_id,
        "created_at": asset.created_at.isoformat(),
        "updated_at": asset.updated_at.isoformat(),
        "embed": {
            slug: request.build_absolute_uri(
                reverse("transcoder:embed", args=[asset.pk, slug])
            )
            for slug in presets
        },
    }
    if renditions:
        data["renditions"] = [
            {
                "preset": r.preset.slug,
                "format": r.format,
                "width": r.width,
                "height": r.height,
                "bytes": r.bytes,
                "url": request.build_absolute_uri(serving.rendition_url(r)),
            }
            for r in rows
        ]
    return data
