"""The OpenAPI 3.1 document of API v1, written by hand beside the views.

tests/test_api_schema.py validates it with openapi-spec-validator and runs
schemathesis against the live server, so it cannot drift from the answers.
"""

import copy

from django.http import JsonResponse
from django.urls import get_script_prefix
from django.views.decorators.csrf import csrf_exempt

from transcoder.api.core.errors import error_response
from transcoder.api.schema.components import SCHEMAS
from transcoder.api.schema.paths import PATHS
from transcoder.api.schema.widget import WIDGET_PATHS, WIDGET_SCHEMAS
from transcoder.conf import setting


def openapi_document(server_url):
    """Return the OpenAPI 3.1 document with ``server_url`` as its server."""
    schemas = copy.deepcopy(SCHEMAS)
    size = schemas["UploadRequest"]["properties"]["size"]
    size["maximum"] = setting("MAX_UPLOAD_BYTES")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mediahub API",
            "version": "1.0.0",
            "description": "Images for sites that embed them. Every answer, "
            f"errors included, is JSON. At most {setting('API_RATE_LIMIT')} "
            "requests per token in any 60 seconds. Pages on other sites read "
            "with a publishable key (`?key=pk_...`): only from its origins, only "
            "its collections, only GET; its answers may be cached for "
            f"{setting('PUBLISHABLE_MAX_AGE')} s, and it allows "
            f"{setting('PUBLISHABLE_VISITOR_RATE_LIMIT')} requests per visitor "
            f"and {setting('PUBLISHABLE_RATE_LIMIT')} in all in any 60 seconds.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": {**PATHS, **WIDGET_PATHS},
        "components": {
            "schemas": {**schemas, **WIDGET_SCHEMAS},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "publishable": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "key",
                    "description": "A publishable key (pk_...), safe in a page's "
                    "JavaScript: read-only, bound to origins (the Origin "
                    "header) and to chosen collections.",
                },
            },
        },
    }


@csrf_exempt
def schema_view(request):
    """Serve the OpenAPI document; it is public, the operations are not."""
    if request.method not in ("GET", "HEAD"):
        return error_response(
            405,
            f"{request.method} is not allowed here.",
            headers={"Allow": "GET, HEAD"},
        )
    server = request.build_absolute_uri(get_script_prefix()).rstrip("/")
    response = JsonResponse(openapi_document(server or "/"))
    response["Cache-Control"] = "public, max-age=300"
    return response
