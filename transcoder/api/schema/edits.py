"""Schema pieces of edits: the ``edit`` of an image and of a PATCH body.

Kept beside ``components.py``, which merges them into the OpenAPI document.
"""

from transcoder.imaging.edits import MIN_SIDE

_REF = "#/components/schemas/"
_QUARTER_TURNS = {
    "type": "integer",
    "enum": [-270, -180, -90, 0, 90, 180, 270],
    "description": "Clockwise degrees, whole quarter turns; negative turns "
    "anticlockwise. Applied first.",
}
_CROP_PROPERTIES = {
    "left": {"type": "integer", "minimum": 0},
    "top": {"type": "integer", "minimum": 0},
    "width": {"type": "integer", "minimum": MIN_SIDE},
    "height": {"type": "integer", "minimum": MIN_SIDE},
}
_CROP = {
    "type": "object",
    "additionalProperties": False,
    "required": list(_CROP_PROPERTIES),
    "properties": _CROP_PROPERTIES,
    "description": "Pixels of the turned and mirrored original to keep; "
    "inside it, at least 8 pixels each way.",
}
_FLIPS = {
    "flip_horizontal": {
        "type": "boolean",
        "description": "Mirror left-right, after the turn.",
    },
    "flip_vertical": {
        "type": "boolean",
        "description": "Mirror top-bottom, after the turn. Answers show it "
        "as a half turn and a left-right mirror: the same picture.",
    },
}

SCHEMAS = {
    "EditCrop": _CROP,
    "Edit": {
        "type": "object",
        "additionalProperties": False,
        "required": ["rotate", "flip_horizontal", "flip_vertical", "crop"],
        "properties": {
            "rotate": {"type": "integer", "enum": [0, 90, 180, 270]},
            **_FLIPS,
            "crop": {"oneOf": [{"$ref": _REF + "EditCrop"}, {"type": "null"}]},
        },
    },
    "EditChange": {
        "type": "object",
        "additionalProperties": False,
        "description": "The whole edit of the original; fields left out mean "
        "no turn, no mirror, no crop.",
        "properties": {
            "rotate": _QUARTER_TURNS,
            **_FLIPS,
            "crop": {"oneOf": [{"$ref": _REF + "EditCrop"}, {"type": "null"}]},
        },
    },
}
