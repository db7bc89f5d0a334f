"""The OpenAPI document's uploads: ask, send, finalize (and the bodies of
replace), with the links from one answer to the next call.

Kept beside ``components.py`` and ``paths.py``, which merge them into the
document in place.
"""

from transcoder.api.schema.parts import (
    _BINARY_BODY,
    _REF,
    _STRING,
    _TEXT_255,
    _body,
    _either,
    _errors,
    _json,
    _upload_target,
)
from transcoder.delivery.presign import ACCEPTED_TYPES
from transcoder.storage import keys

# An upload key the server minted (ask), as finalize and replace take it.
_MINTED_KEY = {"type": "string", "pattern": f"^{keys.MINTED_UPLOAD_PATTERN}$"}

UPLOAD_SCHEMAS = {
    "UploadRequest": {
        "type": "object",
        "required": ["content_type"],
        "not": {"required": ["collection", "replace"]},
        "properties": {
            "filename": _TEXT_255,
            "content_type": {
                "type": "string",
                "enum": sorted(ACCEPTED_TYPES),
                "description": "The file's type; any other (SVG, BMP, ICO, "
                "PSD...) is refused here, before anything is sent.",
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
        "description": "Where and how to send the file, by `method`: a PUT of "
        "the bytes to this API (UploadPut, the embedded default) or a form POST "
        "straight to the bucket (UploadPost, on S3). Then finalize `key`. The "
        "key names the token's owner and what the upload is for (a new image in "
        "a collection, or a new file for an image), under a signature; it is "
        "finalized only for that.",
        "oneOf": [{"$ref": _REF + "UploadPut"}, {"$ref": _REF + "UploadPost"}],
        "discriminator": {
            "propertyName": "method",
            "mapping": {"PUT": _REF + "UploadPut", "POST": _REF + "UploadPost"},
        },
    },
    "UploadPut": _upload_target(
        "PUT",
        "The embedded default: call putUploadContent with `upload` (the signed "
        "last segment of `url`) and the file's bytes, with the same token, once.",
        upload={
            "type": "string",
            "description": "The `upload` path parameter of putUploadContent.",
        },
        fields={
            "type": "object",
            "additionalProperties": False,
            "description": "Always empty here.",
        },
    ),
    "UploadPost": _upload_target(
        "POST",
        "On S3: a presigned POST straight to the bucket at `url`, not an "
        "operation of this API and without the token. Send a multipart/form-data "
        "body with every entry of `fields` as a form field, then the file as the "
        "last field, named `file`. The bucket answers 201 (XML); a file larger "
        "than max_bytes or of another Content-Type is refused there.",
        fields={"type": "object", "additionalProperties": _STRING},
    ),
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
            "key": _MINTED_KEY,
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
            "key": _MINTED_KEY,
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

UPLOAD_PATHS = {
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
            "requestBody": _BINARY_BODY,
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
                **_errors(400, 413, 415, 422, 500),
                "409": {
                    "description": "The same file is an image already "
                    "(Duplicate); or (Error) no file was received for the key "
                    "yet (or it expired), it was made into an image already, "
                    "or it was asked for another purpose or collection.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    {"$ref": _REF + "Duplicate"},
                                    {"$ref": _REF + "Error"},
                                ]
                            }
                        }
                    },
                },
            },
        }
    },
}


def _link(operation_id, description, *, parameters=None, body=None):
    link = {"operationId": operation_id, "description": description}
    if parameters:
        link["parameters"] = parameters
    if body:
        # Exactly these fields: a generated client (or schemathesis' stateful
        # phase) adds nothing to them, such as another collection.
        link["requestBody"] = body
        link["x-schemathesis"] = {"merge_body": False}
    return link


# How the answers lead on (OpenAPI links): create, send, finalize, then the image.
_KEY = {"key": "$response.body#/key"}
_ASSET = {"asset_id": "$response.body#/id"}
UPLOAD_PATHS["/api/uploads/"]["post"]["responses"]["201"]["links"] = {
    "putUploadContent": _link(
        "putUploadContent",
        "With method PUT: send the bytes to this upload.",
        parameters={"upload": "$response.body#/upload"},
    ),
    "finalizeUpload": _link(
        "finalizeUpload",
        "Once the bytes are sent: make the image of this key.",
        body=_KEY,
    ),
}
UPLOAD_PATHS["/api/uploads/content/{upload}/"]["put"]["responses"]["201"]["links"] = {
    "finalizeUpload": _link(
        "finalizeUpload", "Make the image of the bytes just sent.", body=_KEY
    ),
}
for _status in ("200", "201"):
    UPLOAD_PATHS["/api/uploads/finalize/"]["post"]["responses"][_status]["links"] = {
        operation: _link(operation, "The image made.", parameters=_ASSET)
        for operation in ("getAsset", "updateAsset", "deleteAsset")
    }
