"""The pieces both halves of the OpenAPI document are written with: answer and
error shapes, shared field schemas, the read headers.

``components.py`` and ``paths.py`` (images, presets, changes, embed links)
and ``uploads.py`` (uploads, finalize, replace's bodies) build on them.
"""

from transcoder.api.views.assets import METADATA_TEXT

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
        400: "The request is not valid, or has a query parameter this call "
        "does not take.",
        401: "No valid token.",
        403: "The token lacks the scope, its owner may not do this (or is gone "
        "or deactivated), or the URL or upload is not theirs; or a publishable "
        "key is unknown, revoked, used from another origin, used to write, sent "
        "with a bearer token, or its creator may no longer view any of its "
        "collections.",
        404: "Not found.",
        409: "Already done.",
        422: "The file is not an image mediahub takes (the reason says why; "
        "the refusal is recorded and the upload deleted): send another file "
        "with a new upload.",
        410: "The image was deleted.",
        413: "The body or file is too large.",
        415: "The body is not JSON.",
        429: "Too many requests for this token, or for this publishable key "
        "or this visitor of it.",
        500: "Storage or the database failed; no image was made or changed. "
        "Try again (with a new upload if the key is refused as not found).",
    }
    # Every call refuses a query parameter it does not take (400).
    answers = {str(code): _error(text[code]) for code in (400, 401, 403, 429, *codes)}
    answers["429"]["headers"] = {
        "Retry-After": _integer_header("Seconds until one more request fits."),
        **_RATE_HEADERS,
    }
    return answers


def _integer_header(description):
    return {"schema": {"type": "integer"}, "required": True, "description": description}


# The IETF draft's RateLimit fields, on every answer that was counted. The
# window slides: the previous minute weighs by how much of it is within 60 s.
_RATE_HEADERS = {
    "RateLimit-Limit": _integer_header("Requests allowed in any 60 seconds."),
    "RateLimit-Remaining": _integer_header("Requests left now."),
    "RateLimit-Reset": _integer_header(
        "Seconds until the requests counted so far no longer weigh."
    ),
}
_READ_HEADERS = {
    "ETag": {
        "schema": {"type": "string"},
        "required": True,
        "description": "A strong validator of this answer: send it back as "
        "If-None-Match to get 304 while nothing changed.",
    },
    "Cache-Control": {
        "schema": {"type": "string"},
        "required": True,
        "description": "private, no-store for a token's answer; public, "
        "max-age=N for a publishable key's (Vary: Origin).",
    },
    **_RATE_HEADERS,
}
# A read may use a bearer token or a publishable key.
_READ_SECURITY = [{"bearer": []}, {"publishable": []}]


def _read(ref, description):
    """Return the 200 and 304 answers of a read that a publishable key may make."""
    answer = _json(ref, description)
    answer["headers"] = _READ_HEADERS
    return {
        "200": answer,
        "304": {
            "description": "Not modified: If-None-Match named this answer's ETag.",
            "headers": {"ETag": _READ_HEADERS["ETag"]},
        },
    }


def _body(ref):
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": _REF + ref}}},
    }


_STRING = {"type": "string"}
# A request body of raw bytes (a file sent with PUT), never empty.
_BINARY_BODY = {
    "required": True,
    "content": {
        "application/octet-stream": {
            "schema": {"type": "string", "format": "binary", "minLength": 1}
        }
    },
}
_NO_NUL = "^[^\\u0000]*$"
_TEXT_255 = {"type": "string", "maxLength": 255, "pattern": _NO_NUL}
_NULLABLE_URI = {"type": ["string", "null"], "format": "uri"}
_CAPTURED_AT = {
    "type": ["string", "null"],
    "format": "date-time",
    "description": "When the photo was taken, as its file said (EXIF, IPTC or "
    "XMP) or an editor set it; null when unknown.",
}
# What the file said at upload (IPTC, XMP, EXIF; never GPS), editable; the
# fields and their limits are the ones PATCH checks (api/views/assets.py).
_METADATA_TEXT = {
    name: {"type": "string", "maxLength": limit, "pattern": _NO_NUL}
    for name, limit in METADATA_TEXT.items()
}


def _upload_target(method, description, **properties):
    """Return the schema of one way to send an upload's file (see Upload)."""
    properties = {
        "method": {"type": "string", "const": method},
        "url": {"type": "string", "format": "uri"},
        **properties,
        "key": {"type": "string", "description": "What to finalize."},
        "expires_in": {"type": "integer", "description": "Seconds the URL lives."},
        "max_bytes": {"type": "integer"},
    }
    return {
        "type": "object",
        "description": description,
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }
