"""JSON bodies and text fields of API requests: what each view reads them with.

A body is a JSON object of bounded size and nesting; no text, in a body or
the query, may hold NUL or a lone surrogate.
"""

import json
import re
from itertools import accumulate

from transcoder.api.core.errors import ApiError, json_too_large
from transcoder.conf import setting

# How deeply a JSON body may nest objects and lists. The API's deepest body
# is two levels ({"tags": [...]}); Python's parser recurses once per level.
MAX_JSON_DEPTH = 20
# A JSON string, quotes included. Its closing quote may be missing (the match
# then runs to the end): every attempt matches, so a scan stays linear.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^][{}]+")
_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}


def _json_depth(text):
    """Return how deeply ``text`` nests objects and lists, without recursion.

    Brackets inside strings do not count. Linear in the length of ``text``.
    """
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_NESTING.__getitem__, brackets)), default=0)


_SURROGATE = (
    "is not valid Unicode text: it holds a lone surrogate (such as \\ud800), "
    "which is not a character."
)


def _has_surrogate(value):
    """Tell whether a parsed JSON value holds a lone surrogate anywhere."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_body(request):
    """Return the request's JSON object, or raise a 400 that says what is wrong.

    Objects and lists nest at most MAX_JSON_DEPTH levels, and no text may
    hold a lone surrogate ("\\ud800" is valid JSON but no character: the
    database cannot store it).
    """
    if request.content_type != "application/json":
        raise ApiError(415, "Send a JSON object with Content-Type: application/json.")
    raw = request.body or b"null"
    if len(raw) > setting("ANONYMOUS_BODY_BYTES"):
        # Also when signed in: BodyLimitMiddleware lets a session send more.
        raise json_too_large()
    try:
        # The encoding json.loads itself would pick for bytes.
        text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    except UnicodeDecodeError:
        raise ApiError(400, "The body is not valid JSON.") from None
    if _json_depth(text) > MAX_JSON_DEPTH:
        raise ApiError(
            400,
            f"The body nests objects and lists too deeply: at most {MAX_JSON_DEPTH} "
            "levels.",
        )
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise ApiError(400, "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    for name, value in body.items():
        if _has_surrogate(name):
            raise ApiError(400, f"A field name {_SURROGATE}")
        if _has_surrogate(value):
            raise ApiError(400, f"{name} {_SURROGATE}")
    return body


def text_field(body, name, limit=255, *, default=""):
    """Return a string field of ``body``: at most ``limit`` characters, no NUL.

    ``body`` may be a JSON body or the query parameters; neither may hold a
    lone surrogate.
    """
    value = body.get(name, default)
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise ApiError(
            400, f"{name} must be text of at most {limit} characters, without NUL."
        )
    if _has_surrogate(value):
        raise ApiError(400, f"{name} {_SURROGATE}")
    return value
