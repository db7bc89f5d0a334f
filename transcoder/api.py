"""JSON API for sites that embed images: read-only, token auth, signed URLs."""

import hashlib
from functools import wraps

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from transcoder import delivery
from transcoder.models import ApiToken, Asset, RenditionStatus


def token_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def token_required(view):
    """Answer 401 unless the request has an active ``Authorization: Bearer`` token."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        token = None
        if scheme.lower() == "bearer" and key:
            token = ApiToken.objects.filter(
                key_hash=token_hash(key.strip()), active=True
            ).first()
        if token is None:
            response = JsonResponse(
                {"error": "A valid API token is required."}, status=401
            )
            response["WWW-Authenticate"] = 'Bearer realm="mediahub"'
            return response
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response

    return wrapper


def asset_json(request, asset):
    renditions = [
        r
        for r in asset.renditions.all()
        if r.status == RenditionStatus.READY and r.superseded_at is None
    ]
    presets = sorted({r.preset.slug for r in renditions})
    return {
        "id": str(asset.pk),
        "title": asset.title,
        "alt": asset.alt_text,
        "width": asset.width,
        "height": asset.height,
        "format": asset.format,
        "focal_point": list(asset.focal) if asset.focal else None,
        "created_at": asset.created_at.isoformat(),
        "embed": {
            slug: request.build_absolute_uri(
                reverse("transcoder:embed", args=[asset.pk, slug])
            )
            for slug in presets
        },
        "renditions": [
            {
                "preset": r.preset.slug,
                "format": r.format,
                "width": r.width,
                "height": r.height,
                "bytes": r.bytes,
                "url": request.build_absolute_uri(delivery.rendition_url(r)),
            }
            for r in sorted(
                renditions, key=lambda r: (r.preset.slug, r.width, r.format)
            )
        ],
    }


def _assets():
    return Asset.objects.prefetch_related("renditions__preset")


@require_safe
@token_required
def asset_list(request):
    """List assets, newest first, optionally filtered by ``q``; 50 a page."""
    assets = _assets()
    query = request.GET.get("q", "").strip()
    if query:
        assets = assets.filter(Q(title__icontains=query) | Q(alt_text__icontains=query))
    page = Paginator(assets, 50).get_page(request.GET.get("page"))
    return JsonResponse(
        {
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "results": [asset_json(request, a) for a in page.object_list],
        }
    )


@require_safe
@token_required
def asset_detail(request, asset_id):
    asset = _assets().filter(pk=asset_id).first()
    if asset is None:
        raise Http404("No such image.")
    return JsonResponse(asset_json(request, asset))
