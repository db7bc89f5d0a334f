"""The OpenAPI document's schemas: images, errors and changes, with those of
uploads, edits and layout merged in. ``document.py`` serves them.
"""

from transcoder.api.schema import edits as schema_edits
from transcoder.api.schema import layout as schema_layout
from transcoder.api.schema.parts import (
    _CAPTURED_AT,
    _METADATA_TEXT,
    _NO_NUL,
    _NULLABLE_URI,
    _REF,
    _STRING,
)
from transcoder.api.schema.uploads import UPLOAD_SCHEMAS
from transcoder.api.views.assets import EDITABLE, MAX_TAGS

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
