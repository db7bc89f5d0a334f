"""Cross-origin pixels: CORS on embed links and the local /media/ URLs.

A page that draws an image into a canvas or WebGL, or loads it with
``<img crossorigin>``, needs ``Access-Control-Allow-Origin`` on every answer
of the chain: the embed redirect (/e/) and the signed URL it names (/media/
on the embedded default; CloudFront's response headers policy on AWS, see
infra/template.yaml). django-cors-headers answers for the origins in
CORS_ALLOWED_ORIGINS on /api/, /e/ and /media/ (``CORS_URLS_REGEX``); this
handler adds, on /e/ and /media/ only, every origin an administrator listed
on an active site key. Neither path takes cookies or changes anything, so
the header only lets an allowed page read pixels it may already show.
"""

import re

from transcoder.models import SiteKey
from transcoder.services.access.sitekeys import request_origin

PIXEL_PATHS = re.compile(r"^/(e|media)/")


def site_key_origin_allowed(sender, request, **kwargs):
    """corsheaders' ``check_request_enabled``: true for a site key's listed origin."""
    if not PIXEL_PATHS.match(request.path_info):
        return False
    origin = request_origin(origin=request.headers.get("Origin"), referer=None)
    if not origin:
        return False
    candidates = SiteKey.objects.filter(
        active=True, allowed_origins__icontains=origin
    ).only("allowed_origins")
    return any(origin in key.origins for key in candidates[:20])
