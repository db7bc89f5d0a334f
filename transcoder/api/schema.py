"""The OpenAPI 3.1 document of API v1, written by hand beside the views.

tests/test_api_schema.py validates it with openapi-spec-validator and runs
schemathesis against the live server, so it cannot drift from the answers.
"""

import copy

from django.http import JsonResponse
from django.urls import get_script_prefix
from django.views.decorators.csrf import csrf_exempt

from transcoder.api.errors import error_response
from transcoder.api.widget_schema import WIDGET_PATHS, WIDGET_SCHEMAS
from transcoder.conf import setting
from transcoder.storage import keys

_REF = "#/components/schemas/"
_ID = {"name": "asset_id", "in": "path", "required": True}
_ID["schema"] = {"type": "string", "format": "uuid"}


def _error(description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF + "Error"}}},
    }


def _json(ref, description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF + ref}}},
    }


def _either(refs, description):
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"oneOf": [{"$ref": _REF + ref} for ref in refs]}
            }
        },
    }


def _errors(*codes):
    text = {
        400: "The request is not valid.",
        401: "No valid token.",
        403: "The token lacks the scope, its owner may not do this (or is gone "
        "or deactivated), or the URL or upload is not theirs.",
        404: "Not found.",
        409: "Already done.",
        410: "The image was deleted.",
        413: "The body or file is too large.",
        415: "The body is not JSON.",
        429: "Too many requests for this token.",
        500: "Storage or the database failed; no image was made or changed. "
        "Try again (with a new upload if the key is refused as not found).",
    }
    answers = {str(code): _error(text[code]) for code in (401, 403, 429, *codes)}
    answers["429"]["headers"] = {
        "Retry-After": {"schema": {"type": "integer"}, "required": True}
    }
    return answers


def _body(ref):
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": _REF + ref}}},
    }


_STRING = {"type": "string"}
_NO_NUL = "^[^\\u0000]*$"
_TEXT_255 = {"type": "string", "maxLength": 255, "pattern": _NO_NUL}
_NULLABLE_URI = {"type": ["string", "null"], "format": "uri"}
_CAPTURED_AT = {
    "type": ["string", "null"],
    "format": "date-time",
    "description": "When the photo was taken, as its file said (EXIF, IPTC or "
    "XMP) or an editor set it; null when unknown.",
}
# What the file said at upload (IPTC, XMP, EXIF; never GPS), editable.
_METADATA_TEXT = {
    "caption": {"type": "string", "maxLength": 2000, "pattern": _NO_NUL},
    "creator": _TEXT_255,
    "credit": _TEXT_255,
    "copyright": {"type": "string", "maxLength": 500, "pattern": _NO_NUL},
    "camera": _TEXT_255,
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "status"],
        "properties": {"error": _STRING, "status": {"type": "integer"}},
    },
    "Rendition": {
        "type": "object",
        "required": ["preset", "format", "width", "height", "bytes", "url"],
        "properties": {
            "preset": _STRING,
            "format": {"enum": ["avif", "webp", "jpeg", "png"]},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "bytes": {"type": "integer"},
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
            "focal_point": {"oneOf": [{"$ref": _REF + "FocalPoint"}, {"type": "null"}]},
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
    "FocalPoint": {
        "type": "array",
        "items": {"type": "number", "minimum": 0, "maximum": 1},
        "minItems": 2,
        "maxItems": 2,
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
            "title": _TEXT_255,
            "alt": {"type": "string", "maxLength": 500, "pattern": _NO_NUL},
            "decorative": {"type": "boolean"},
            **_METADATA_TEXT,
            "captured_at": _CAPTURED_AT,
            "tags": {
                "type": "array",
                "description": "Replaces every tag; blank names are dropped.",
                "maxItems": 50,
                "items": {"type": "string", "maxLength": 100, "pattern": _NO_NUL},
            },
            "focal_point": {"oneOf": [{"$ref": _REF + "FocalPoint"}, {"type": "null"}]},
            "collection": {
                "type": "integer",
                "minimum": 1,
                "description": "Move the image to this collection; the token's "
                "owner must be allowed to add images there.",
            },
        },
    },
    "UploadRequest": {
        "type": "object",
        "required": ["content_type"],
        "not": {"required": ["collection", "replace"]},
        "properties": {
            "filename": _TEXT_255,
            "content_type": {
                "type": "string",
                "pattern": "^image/[a-z0-9][a-z0-9.+-]{0,60}$",
            },
            "size": {"type": "integer", "minimum": 1},
            "collection": {
                "type": "integer",
                "minimum": 1,
                "description": "Collection id of the new image; "
                "MEDIAHUB_DEFAULT_COLLECTION when left out. The token's owner "
                "must be allowed to add images there.",
            },
            "replace": {
                "type": "string",
                "format": "uuid",
                "description": "Upload a new file for this image instead "
                "(then send the key to /api/assets/{asset_id}/replace/); the "
                "token's owner must be allowed to change it. Not with "
                "collection.",
            },
        },
    },
    "Upload": {
        "type": "object",
        "description": "Send the file with `method` to `url` (a presigned POST "
        "with `fields` on S3; a PUT of the bytes with the token otherwise), "
        "then finalize `key`. The key names the token's owner and what the "
        "upload is for (a new image in a collection, or a new file for an "
        "image), under a signature; it is finalized only for that.",
        "required": ["method", "url", "fields", "key", "expires_in", "max_bytes"],
        "properties": {
            "method": {"enum": ["POST", "PUT"]},
            "url": {"type": "string", "format": "uri"},
            "fields": {"type": "object", "additionalProperties": _STRING},
            "key": _STRING,
            "expires_in": {"type": "integer"},
            "max_bytes": {"type": "integer"},
        },
    },
    "UploadAccepted": {
        "type": "object",
        "required": ["id", "collection", "detail"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "collection": {"type": "integer"},
            "detail": _STRING,
        },
    },
    "UploadReceived": {
        "type": "object",
        "required": ["key", "bytes"],
        "properties": {"key": _STRING, "bytes": {"type": "integer"}},
    },
    "Finalize": {
        "type": "object",
        "required": ["key"],
        "properties": {
            "key": {
                "type": "string",
                "pattern": f"^{keys.MINTED_UPLOAD_PATTERN}$",
            },
            "filename": _TEXT_255,
            "collection": {
                "type": "integer",
                "minimum": 1,
                "description": "Optional: the collection given when the upload "
                "was asked for (the key names it); any other is refused.",
            },
            "allow_duplicate": {
                "type": "boolean",
                "description": "Make an image even if one has the same file.",
            },
        },
    },
    "Replace": {
        "type": "object",
        "description": "`key` must come from /api/uploads/ asked with "
        "`replace` set to this image, by this token's owner.",
        "required": ["key"],
        "properties": {
            "key": {
                "type": "string",
                "pattern": f"^{keys.MINTED_UPLOAD_PATTERN}$",
            },
            "filename": _TEXT_255,
        },
    },
    "Duplicate": {
        "type": "object",
        "description": "The file is in the library already as `asset`; nothing "
        "was stored. Finalize a new upload with allow_duplicate to make a copy.",
        "required": ["error", "status", "asset"],
        "properties": {
            "error": _STRING,
            "status": {"type": "integer"},
            "asset": {"$ref": _REF + "Asset"},
        },
    },
}


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
            "responses": {
                "200": _json("AssetPage", "A page of images."),
                **_errors(400, 404),
            },
        }
    },
    "/api/assets/{asset_id}/": {
        "parameters": [_ID],
        "get": {
            "operationId": "getAsset",
            "summary": "One image with its embed links and signed URLs (scope read).",
            "responses": {"200": _json("Asset", "The image."), **_errors(404, 410)},
        },
        "patch": {
            "operationId": "updateAsset",
            "summary": "Change title, alt text, decorative, tags, focal point, "
            "collection, or what the file said: caption, creator, credit, "
            "copyright, capture date, camera (scope write).",
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
                **_errors(400, 404, 410, 413, 415, 500),
            },
        },
    },
    "/api/uploads/": {
        "post": {
            "operationId": "createUpload",
            "summary": "Ask where to send one file, for a new image or to "
            "replace an image's file (scope write).",
            "requestBody": _body("UploadRequest"),
            "responses": {
                "201": _json("Upload", "Where and how to send the file."),
                **_errors(400, 404, 410, 413, 415),
            },
        }
    },
    "/api/uploads/content/{upload}/": {
        "parameters": [
            {"name": "upload", "in": "path", "required": True, "schema": _STRING}
        ],
        "put": {
            "operationId": "putUploadContent",
            "summary": "Send the file's bytes, once (embedded default; scope write).",
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {
                        "schema": {"type": "string", "format": "binary"}
                    }
                },
            },
            "responses": {
                "201": _json("UploadReceived", "Stored; now finalize the key."),
                **_errors(400, 404, 409, 413),
            },
        },
    },
    "/api/uploads/finalize/": {
        "post": {
            "operationId": "finalizeUpload",
            "summary": "Make an image of an upload; again gives the same image.",
            "requestBody": _body("Finalize"),
            "responses": {
                "200": _either(
                    ("Asset", "UploadAccepted"), "The image made by an earlier call."
                ),
                "201": _either(
                    ("Asset", "UploadAccepted"),
                    "The new image; renditions follow. A token whose owner may "
                    "add to the collection but not view it gets UploadAccepted.",
                ),
                **_errors(400, 404, 413, 415, 500),
                "409": _json("Duplicate", "The same file is an image already."),
            },
        }
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
            "requests per token per minute.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": {**PATHS, **WIDGET_PATHS},
        "components": {
            "schemas": {**schemas, **WIDGET_SCHEMAS},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
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
