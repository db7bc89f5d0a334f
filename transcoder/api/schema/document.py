"""The OpenAPI 3.1 document of API v1, written by hand beside the views.

tests/test_api_schema.py validates it with openapi-spec-validator and runs
schemathesis against the live server, so it cannot drift from the answers.
"""

import copy

from django.http import JsonResponse
from django.urls import get_script_prefix
from django.views.decorators.csrf import csrf_exempt

from transcoder.api.core.errors import error_response
from transcoder.api.schema import edits as schema_edits
from transcoder.api.schema import layout as schema_layout
from transcoder.api.schema.parts import (
    _CAPTURED_AT,
    _ID,
    _METADATA_TEXT,
    _NO_NUL,
    _NULLABLE_URI,
    _READ_SECURITY,
    _REF,
    _STRING,
    _body,
    _error,
    _errors,
    _json,
    _read,
)
from transcoder.api.schema.uploads import UPLOAD_PATHS, UPLOAD_SCHEMAS
from transcoder.api.schema.widget import WIDGET_PATHS, WIDGET_SCHEMAS
from transcoder.api.views.assets import EDITABLE, MAX_TAGS
from transcoder.conf import setting
from transcoder.delivery.serving import EMBED_PARAMETERS

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "status"],
        "properties": {"error": _STRING, "status": {"type": "integer"}},
    },
    "Rendition": {
        "type": "object",
        "required": [
            "preset",
            "format",
            "width",
            "height",
            "bytes",
            "animated",
            "frames",
            "duration_ms",
            "quality",
            "score",
            "url",
        ],
        "properties": {
            "preset": _STRING,
            "format": {"enum": ["avif", "webp", "jpeg", "png"]},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "bytes": {"type": "integer"},
            "animated": {
                "type": "boolean",
                "description": (
                    "Every frame of an animated source (WebP and AVIF only); "
                    "JPEG and PNG renditions show the first frame."
                ),
            },
            "frames": {
                "type": "integer",
                "minimum": 1,
                "description": "The animation's frames; 1 for a still.",
            },
            "duration_ms": {
                "type": ["integer", "null"],
                "description": (
                    "How long one play lasts in milliseconds, as browsers play "
                    "it (frames of 10 ms or less count 100 ms); null for a still."
                ),
            },
            "quality": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": 100,
                "description": "The encoder quality used; null for PNG "
                "(lossless) and for renditions built before it was kept.",
            },
            "score": {
                "type": ["number", "null"],
                "maximum": 100,
                "description": "When the preset asks for a perceptual target: "
                "the score the chosen quality reached on the SSIMULACRA2 scale "
                "(100 identical, 90 visually lossless, 70 good), estimated on "
                "a sample of the rendition's own pixels. Null at a fixed "
                "quality.",
            },
            "url": {"type": "string", "format": "uri"},
        },
    },
    "Asset": {
        "type": "object",
        "required": [
            "id",
            "title",
            "alt",
            "decorative",
            "tags",
            "file_name",
            "caption",
            "creator",
            "credit",
            "copyright",
            "captured_at",
            "camera",
            "width",
            "height",
            "format",
            "focal_point",
            "edit",
            "focal_area",
            "collection",
            "created_at",
            "updated_at",
            "embed",
        ],  # fmt: skip
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "title": _STRING,
            "alt": {
                "type": "string",
                "description": 'Empty on purpose when "decorative" is true.',
            },
            "decorative": {"type": "boolean"},
            "tags": {"type": "array", "items": _STRING},
            "file_name": _STRING,
            **{name: _STRING for name in _METADATA_TEXT},
            "captured_at": _CAPTURED_AT,
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "format": _STRING,
            "focal_point": {
                "oneOf": [{"$ref": _REF + "FocalPoint"}, {"type": "null"}],
                "description": "The editor's focal point; null when none is set.",
            },
            "focal_area": {
                "oneOf": [{"$ref": _REF + "FocalArea"}, {"type": "null"}],
                "description": "The area cover crops centre on now: the editor's, "
                "or the automatic suggestion until an editor decides; null: "
                "crops keep the centre.",
            },
            "edit": {
                "oneOf": [{"$ref": _REF + "Edit"}, {"type": "null"}],
                "description": "How the picture is made from the original, "
                "whose bytes never change; null: as uploaded. width and height "
                "are the edited picture's.",
            },
            "collection": {"type": "integer", "description": "Collection id."},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "embed": {
                "type": "object",
                "description": "Stable embed link per active preset.",
                "additionalProperties": {"type": "string", "format": "uri"},
            },
            "renditions": {
                "type": "array",
                "items": {"$ref": _REF + "Rendition"},
                "description": "Ready renditions with signed URLs: always for "
                "one image, in a list only with expand=renditions.",
            },
        },
    },
    **schema_edits.SCHEMAS,
    "FocalPoint": {
        "type": "array",
        "items": {"type": "number", "minimum": 0, "maximum": 1},
        "minItems": 2,
        "maxItems": 2,
    },
    "FocalArea": {
        "type": "object",
        "additionalProperties": False,
        "required": ["x", "y", "width", "height", "source"],
        "properties": {
            "x": {"type": "number", "minimum": 0, "maximum": 1},
            "y": {"type": "number", "minimum": 0, "maximum": 1},
            "width": {
                "oneOf": [
                    {"type": "number", "minimum": 0, "maximum": 1},
                    {"type": "null"},
                ],
                "description": "Null for an editor's point without an area.",
            },
            "height": {
                "oneOf": [
                    {"type": "number", "minimum": 0, "maximum": 1},
                    {"type": "null"},
                ],
            },
            "source": {
                "type": "string",
                "enum": ["editor", "suggested"],
                "description": '"suggested": found automatically (edges, skin '
                "tones, saturation); crops use it until an editor sets, accepts "
                "(PATCH focal_point with its x and y) or clears (focal_point "
                "null) it.",
            },
        },
    },
    "AssetPage": {
        "type": "object",
        "required": [
            "count",
            "count_exact",
            "page",
            "pages",
            "next",
            "previous",
            "results",
        ],
        "properties": {
            "count": {
                "type": "integer",
                "description": "Exact up to MEDIAHUB_LIST_COUNT_LIMIT (1,000); "
                "past it that limit, or for the whole unfiltered library an "
                "estimate, and count_exact is false.",
            },
            "count_exact": {"type": "boolean"},
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
            "next": _NULLABLE_URI,
            "previous": _NULLABLE_URI,
            "results": {"type": "array", "items": {"$ref": _REF + "Asset"}},
        },
    },
    "AssetChange": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **{
                name: {"type": "string", "maxLength": limit, "pattern": _NO_NUL}
                for name, limit in EDITABLE.items()
            },
            "decorative": {"type": "boolean"},
            **_METADATA_TEXT,
            "captured_at": _CAPTURED_AT,
            "tags": {
                "type": "array",
                "description": "Replaces every tag; blank names are dropped.",
                "maxItems": MAX_TAGS,
                "items": {"type": "string", "maxLength": 100, "pattern": _NO_NUL},
            },
            "focal_point": {
                "oneOf": [{"$ref": _REF + "FocalPoint"}, {"type": "null"}],
                "description": "In fractions of the picture after any edit "
                "in the same body. Setting it is the editor's decision: the "
                "suggested area no longer counts; null clears it and any "
                "suggestion (crops keep the centre). To accept the suggestion, "
                "send its x and y.",
            },
            "edit": {
                "oneOf": [{"$ref": _REF + "EditChange"}, {"type": "null"}],
                "description": "Turn, mirror and crop the original, whole: the "
                "picture before is kept as a version, the focal point follows "
                "and the renditions rebuild in the background. null shows the "
                "original as uploaded.",
            },
            "collection": {
                "type": "integer",
                "minimum": 1,
                "description": "Move the image to this collection; the token's "
                "owner must be allowed to add images there.",
            },
        },
    },
    **UPLOAD_SCHEMAS,
    "Change": {
        "type": "object",
        "required": ["id", "event", "at", "asset_id", "moved_out", "asset"],
        "properties": {
            "id": {"type": "integer"},
            "event": {
                "enum": [
                    "asset.created",
                    "asset.ready",
                    "asset.updated",
                    "asset.replaced",
                    "asset.deleted",
                    "asset.restored",
                ]
            },
            "at": {"type": "string", "format": "date-time"},
            "asset_id": {"type": "string", "format": "uuid"},
            "moved_out": {
                "type": "boolean",
                "description": "The image moved to a collection this token's "
                "owner may not view: gone for them (event asset.deleted).",
            },
            "asset": {
                "oneOf": [{"$ref": _REF + "Asset"}, {"type": "null"}],
                "description": "The image as it is now (without renditions); "
                "null once it is deleted or out of reach (a later change says so).",
            },
        },
    },
    "ChangePage": {
        "type": "object",
        "required": ["results", "next_cursor", "more"],
        "properties": {
            "results": {"type": "array", "items": {"$ref": _REF + "Change"}},
            "next_cursor": {
                "type": "string",
                "description": "Keep it; ask with since=<it> for what follows.",
            },
            "more": {
                "type": "boolean",
                "description": "More changes wait: ask again at once.",
            },
        },
    },
}


# Every key of every answer is declared: schemathesis' response check and
# tests/test_api_schema.py fail on a field the document does not name.
for _name in (
    "Error",
    "Rendition",
    "Asset",
    "AssetPage",
    "UploadReceived",
    "Duplicate",
    "Change",
    "ChangePage",
):
    SCHEMAS[_name]["additionalProperties"] = False
SCHEMAS.update(schema_layout.SCHEMAS)
SCHEMAS["Asset"]["required"] += schema_layout.ASSET_REQUIRED
SCHEMAS["Asset"]["properties"].update(schema_layout.ASSET_PROPERTIES)


def _query(name, schema, description):
    return {"name": name, "in": "query", "schema": schema, "description": description}


PATHS = {
    "/api/assets/": {
        "get": {
            "operationId": "listAssets",
            "summary": "List images, newest first (scope read).",
            "parameters": [
                _query(
                    "q",
                    {"type": "string", "maxLength": 200, "pattern": _NO_NUL},
                    "Search title, alt text, file name, tags, caption, creator, "
                    "credit, copyright and camera.",
                ),
                _query(
                    "tag",
                    {"type": "string", "maxLength": 100, "pattern": _NO_NUL},
                    "Only images with this tag (any case).",
                ),
                _query(
                    "collection",
                    {"type": "integer", "minimum": 1, "maximum": 10**9},
                    "Only images in this collection or the ones inside it.",
                ),
                _query(
                    "updated_since",
                    {"type": "string", "format": "date-time"},
                    "Only images changed at or after this time.",
                ),
                _query(
                    "page",
                    {"type": "integer", "minimum": 1, "maximum": 10**9},
                    "Page number; past the last page, 404.",
                ),
                _query(
                    "cursor",
                    {"type": "string", "maxLength": 200},
                    "Continue after this point: the cursor of a next link. "
                    "As fast at any depth; page and pages then count from it; "
                    "a cursor not given out is not found (404).",
                ),
                _query(
                    "page_size",
                    {"type": "integer", "minimum": 1, "maximum": 100},
                    "Images per page (50 unless given).",
                ),
                _query(
                    "expand",
                    {"enum": ["renditions"]},
                    "Add each image's renditions with signed URLs (left out "
                    "unless asked, to keep pages small).",
                ),
            ],
            "security": _READ_SECURITY,
            "responses": {
                **_read("AssetPage", "A page of images."),
                **_errors(400, 404),
            },
        }
    },
    "/api/assets/{asset_id}/": {
        "parameters": [_ID],
        "get": {
            "operationId": "getAsset",
            "summary": "One image with its embed links and signed URLs (scope read).",
            "security": _READ_SECURITY,
            "responses": {**_read("Asset", "The image."), **_errors(404, 410)},
        },
        "patch": {
            "operationId": "updateAsset",
            "summary": "Change title, alt text, decorative, tags, focal point, "
            "collection, what the file said: caption, creator, credit, "
            "copyright, capture date, camera, or the edit of the picture: "
            "turn, mirror, crop (scope write).",
            "requestBody": _body("AssetChange"),
            "responses": {
                "200": _json("Asset", "The changed image."),
                **_errors(400, 404, 410, 413, 415),
            },
        },
        "delete": {
            "operationId": "deleteAsset",
            "summary": "Move an image to the Trash, restorable in the admin for "
            "MEDIAHUB_TRASH_DAYS days, then erased (scope write). While it is "
            "in the Trash the API answers 404 for it.",
            "responses": {
                "204": {"description": "In the Trash (or already gone)."},
                **_errors(404),
            },
        },
    },
    "/api/assets/{asset_id}/replace/": {
        "parameters": [_ID],
        "post": {
            "operationId": "replaceAssetFile",
            "summary": "Make an upload the image's new file; the id, texts and "
            "embed links stay, the old file stays as a version (scope write).",
            "requestBody": _body("Replace"),
            "responses": {
                "200": _json("Asset", "The image; new renditions follow."),
                **_errors(400, 404, 410, 413, 415, 422, 500),
                "409": _error(
                    "The upload was not started to replace this image, or no "
                    "file was received for it yet (or it expired)."
                ),
            },
        },
    },
    "/api/presets/": {
        "get": {
            "operationId": "listPresets",
            "summary": "The active presets: widths, formats and aspect (scope read).",
            "responses": {
                "200": _json("PresetList", "Every active preset."),
                **_errors(),
            },
        }
    },
    "/api/changes/": {
        "get": {
            "operationId": "listChanges",
            "summary": "What changed since a cursor, oldest first: images "
            "uploaded, ready, edited, replaced, deleted or restored (scope read).",
            "parameters": [
                _query(
                    "since",
                    {"type": "string", "maxLength": 200},
                    "A next_cursor from an earlier answer, or now (no changes, "
                    "and the cursor of the present); left out, from the oldest "
                    "change kept. A cursor not given out is not found (404).",
                ),
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 500},
                    "Changes per answer (100 unless given).",
                ),
            ],
            "responses": {
                "200": _json("ChangePage", "The next changes."),
                **_errors(400, 404),
                "410": _error(
                    "The cursor is older than the changes kept "
                    "(MEDIAHUB_CHANGES_DAYS), or the collections the token "
                    "may view have changed since it was given out: list the "
                    "images again."
                ),
            },
        }
    },
    **UPLOAD_PATHS,
}


_EMBED_ERRORS = {
    400: "A bad or unknown parameter (embed links take "
    + ", ".join(EMBED_PARAMETERS)
    + ").",
    403: "The site key is unknown, revoked or not allowed on this site, or a "
    "key is required.",
    404: "No such image, preset or ready rendition.",
    406: "No rendition is in a format this browser accepts.",
    410: "The image was deleted (or is in the Trash).",
    500: "Storage or the database failed; try again.",
}
PATHS["/e/{asset_id}/{preset}/"] = {
    "parameters": [
        _ID,
        {
            "name": "preset",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
        },
    ],
    "get": {
        "operationId": "embedImage",
        "summary": "A stable embed link: redirects to the signed URL of the best "
        "rendition for the browser's Accept, width and pixel ratio. Needs no "
        "token; a site key binds it to the key's origins.",
        "security": [],
        "parameters": [
            _query(
                "w", {"type": "integer", "minimum": 1, "maximum": 16384}, "CSS width."
            ),
            _query(
                "dpr",
                {"type": "string", "pattern": r"^([1-3](\.[0-9]{1,3})?|4(\.0{1,3})?)$"},
                "Pixel ratio from 1 to 4, at most three decimals.",
            ),
            _query(
                "format",
                {"enum": ["avif", "webp", "jpeg", "jpg", "png"]},
                "A format instead of the browser's Accept (any case).",
            ),
            _query("key", {"type": "string", "maxLength": 100}, "A site key."),
        ],
        "responses": {
            "302": {
                "description": "To the rendition's signed URL.",
                "headers": {
                    "Location": {"schema": {"type": "string"}, "required": True}
                },
            },
            **{str(code): _error(text) for code, text in _EMBED_ERRORS.items()},
        },
    },
}


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
