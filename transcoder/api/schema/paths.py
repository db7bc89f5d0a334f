"""The OpenAPI document's operations: images, presets, changes and embed links,
with the uploads' merged in. ``document.py`` serves them.
"""

from transcoder.api.schema.parts import (
    _ID,
    _NO_NUL,
    _READ_SECURITY,
    _body,
    _error,
    _errors,
    _json,
    _read,
)
from transcoder.api.schema.uploads import UPLOAD_PATHS
from transcoder.delivery.serving import EMBED_PARAMETERS


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
