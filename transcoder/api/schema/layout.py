"""Schema pieces of placeholders, processing status, layout and presets.

Kept beside ``components.py``, which merges them into the OpenAPI document.
"""

from transcoder.imaging.quality import autoquality

_REF = "#/components/schemas/"
_INT = {"type": "integer"}
_URI = {"type": "string", "format": "uri"}

# Fields every Asset answer carries (GET, list, PATCH, finalize, replace).
ASSET_REQUIRED = ["layout", "placeholder", "status", "progress", "reasons"]
ASSET_PROPERTIES = {
    "layout": {
        "type": "object",
        "description": "Per preset with ready renditions (the keys of embed): "
        "the widest rendition's width and height (set them on the <img>: no "
        "layout shift), and for a responsive preset a srcset of embed links, "
        "one per stored width, with the sizes its box implies.",
        "additionalProperties": {"$ref": _REF + "Layout"},
    },
    "placeholder": {
        "oneOf": [{"$ref": _REF + "Placeholder"}, {"type": "null"}],
        "description": "What to show before the image loads; null until the "
        "first renditions are built (and while a replaced file builds).",
    },
    "status": {
        "enum": ["processing", "ready", "failed"],
        "description": "processing while a rendition of an active preset is "
        "waiting; failed once all are done and one failed (see reasons); "
        "else ready.",
    },
    "progress": {
        "type": "object",
        "required": ["ready", "failed", "pending", "total"],
        "additionalProperties": False,
        "properties": {
            "ready": _INT,
            "failed": _INT,
            "pending": _INT,
            "total": {
                "type": "integer",
                "description": "Renditions of the active presets.",
            },
        },
    },
    "reasons": {
        "type": "array",
        "items": {"type": "string"},
        "description": 'Why renditions failed, one "Preset: reason" each.',
    },
}

SCHEMAS = {
    "Layout": {
        "type": "object",
        "required": ["url", "width", "height"],
        "additionalProperties": False,
        "properties": {
            "url": _URI,
            "width": _INT,
            "height": _INT,
            "srcset": {
                "type": "string",
                "description": "Only for a responsive preset: embed links with "
                "?w= per stored width; the browser's Accept picks the format.",
            },
            "sizes": {"type": "string"},
        },
    },
    "Placeholder": {
        "type": "object",
        "required": ["thumbhash", "color"],
        "additionalProperties": False,
        "properties": {
            "thumbhash": {
                "type": "string",
                "description": "A ThumbHash (evanw/thumbhash), base64: decode "
                "it with thumbHashToDataURL to a blurred preview.",
            },
            "color": {
                "type": "string",
                "pattern": "^#[0-9a-f]{6}$",
                "description": "The dominant colour.",
            },
        },
    },
    "Preset": {
        "type": "object",
        "required": [
            "slug",
            "name",
            "fit",
            "width",
            "height",
            "widths",
            "formats",
            "target",
            "quality",
            "aspect",
            "responsive",
            "sizes",
        ],  # fmt: skip
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "fit": {"enum": ["cover", "contain"]},
            "width": {"type": ["integer", "null"]},
            "height": {"type": ["integer", "null"]},
            "widths": {"type": "array", "items": _INT},
            "formats": {
                "type": "array",
                "items": {"enum": ["avif", "webp", "jpeg", "png"]},
            },
            "target": {
                "type": ["integer", "null"],
                "minimum": autoquality.MIN_TARGET,
                "maximum": autoquality.MAX_TARGET,
                "description": "The perceptual target (SSIMULACRA2 scale): each "
                "rendition gets the lowest quality that meets it. Null when the "
                "preset encodes at a fixed quality.",
            },
            "quality": {
                "type": "integer",
                "minimum": 1,
                "maximum": 100,
                "description": "The encoder quality; with a target, the highest "
                "quality the target may choose.",
            },
            "aspect": {
                "type": ["number", "null"],
                "description": "Width / height of a cropped (cover) preset; "
                "null when the image keeps its own.",
            },
            "responsive": {"type": "boolean"},
            "sizes": {"type": "string"},
        },
    },
    "PresetList": {
        "type": "object",
        "required": ["results"],
        "additionalProperties": False,
        "properties": {
            "results": {"type": "array", "items": {"$ref": _REF + "Preset"}}
        },
    },
}
