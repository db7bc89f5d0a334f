"""GET /api/presets/: the active presets a page can embed, and their shapes."""

from django.http import JsonResponse

from transcoder import layout
from transcoder.api.core.auth import endpoint
from transcoder.models import Preset


def preset_json(preset):
    """A preset as the API gives it; ``aspect`` is null when the image's own."""
    fixed = preset.fit == "cover" and preset.width and preset.height
    return {
        "slug": preset.slug,
        "name": preset.name,
        "fit": preset.fit,
        "width": preset.width,
        "height": preset.height,
        "widths": sorted(preset.widths or []),
        "formats": list(preset.formats),
        "target": preset.target,
        "quality": preset.quality,
        "aspect": round(preset.width / preset.height, 4) if fixed else None,
        "responsive": len(preset.widths or []) > 1,
        "sizes": layout.preset_sizes(preset),
    }


def _list(request, *, token):
    """List the active presets, by slug: every read token sees the same list.

    Presets are not kept per collection; their slugs are in every embed link.
    """
    presets = Preset.objects.filter(active=True).order_by("slug")
    return JsonResponse({"results": [preset_json(p) for p in presets]})


preset_list = endpoint(GET=("read", _list))
