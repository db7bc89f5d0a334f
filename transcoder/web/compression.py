"""Compressed answers for the JSON the API sends.

Only under /api/: the API authenticates with bearer tokens, never cookies, so
a page on another site cannot make a visitor's browser send it requests whose
compressed length leaks a secret (BREACH). Admin pages, which carry CSRF
tokens, stay as they are; static files are compressed ahead of time by
WhiteNoise; images are compressed already.
"""

from django.middleware.gzip import GZipMiddleware

COMPRESSED_PREFIXES = ("/api/",)


class ApiGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (Vary, ETag weakening, length rules) for /api/."""

    def process_response(self, request, response):
        if not request.path_info.startswith(COMPRESSED_PREFIXES):
            return response
        return super().process_response(request, response)
