"""Strict parsing of numbers and formats taken from query parameters.

``str.isdigit`` accepts "²" and ``int`` refuses numbers of over 4,300 digits,
so both would turn hostile input into a 500. Only plain ASCII digits of a
bounded length are numbers here; anything else is a ``ParamError``.
"""

import re
from datetime import UTC, datetime

_INTEGER = re.compile(r"^(0|[1-9][0-9]{0,11})$", re.ASCII)
_DATETIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,32})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$",
    re.ASCII,
)
_DECIMAL = re.compile(r"^[0-9]{1,2}(\.[0-9]{1,3})?$", re.ASCII)
_FORMAT_ALIASES = {
    "avif": "avif",
    "webp": "webp",
    "jpeg": "jpeg",
    "jpg": "jpeg",
    "png": "png",
}


class ParamError(ValueError):
    """A query parameter is not in the form mediahub accepts."""


def integer(value, *, name, low, high):
    """Return ``value`` as an int in ``low..high``, or raise ParamError.

    A parameter that is present but empty is an error, not "absent".
    """
    if not isinstance(value, str) or not _INTEGER.fullmatch(value):
        raise ParamError(f"{name} must be a whole number from {low} to {high}.")
    number = int(value)
    if not low <= number <= high:
        raise ParamError(f"{name} must be a whole number from {low} to {high}.")
    return number


def optional_integer(query, name, *, low, high):
    """Return the named parameter as an int, None when absent, or raise ParamError."""
    value = query.get(name)
    if value is None:
        return None
    return integer(value, name=name, low=low, high=high)


def optional_decimal(query, name, *, low, high):
    """Return a short decimal such as ``1.5`` within bounds, None when absent."""
    value = query.get(name)
    if value is None:
        return None
    if not _DECIMAL.fullmatch(value) or not low <= float(value) <= high:
        raise ParamError(f"{name} must be a number from {low} to {high}.")
    return float(value)


def optional_datetime(query, name):
    """Return an RFC 3339 date and time (with its offset), None when absent."""
    value = query.get(name)
    if value is None:
        return None
    if not _DATETIME.fullmatch(value):
        raise ParamError(
            f"{name} must be a date and time such as 2026-01-31T12:00:00Z."
        )
    try:
        # In UTC: PostgreSQL refuses offsets past 15:59 that RFC 3339 allows.
        # RFC 3339 allows any number of fraction digits; Python keeps six.
        value = re.sub(r"(\.[0-9]{6})[0-9]+", r"\1", value)
        parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ParamError(f"{name} is not a real date and time.") from None


def optional_format(query, name="format"):
    """Return a rendition format named case-insensitively, None when absent."""
    value = query.get(name)
    if value is None:
        return None
    fmt = _FORMAT_ALIASES.get(value.strip().lower()) if len(value) < 10 else None
    if fmt is None:
        raise ParamError(f"{name} must be one of avif, webp, jpeg, jpg or png.")
    return fmt
