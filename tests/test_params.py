"""Strict query parameters: ASCII digits of bounded length, or a clear error."""

import pytest

from transcoder.web import params


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), ("640", 640), ("0", None), ("16384", 16384), ("16385", None)],
)
def test_integer_bounds(value, expected):
    """Within bounds a number parses; outside them it is a ParamError."""
    if expected is None:
        with pytest.raises(params.ParamError, match="whole number"):
            params.integer(value, name="w", low=1, high=16384)
    else:
        assert params.integer(value, name="w", low=1, high=16384) == expected


@pytest.mark.parametrize(
    "value",
    [
        "²",
        "٣",
        "１",
        "1" * 5000,
        "01",
        "+1",
        "-1",
        " 1",
        "1 ",
        "1\n",
        "1.0",
        "",
        "0x10",
    ],
)
def test_integer_refuses_anything_but_plain_ascii_digits(value):
    """Superscripts, other scripts' digits, leading zeros, signs and huge numbers."""
    with pytest.raises(params.ParamError, match="whole number"):
        params.integer(value, name="w", low=0, high=10**12)


@pytest.mark.parametrize(
    ("query", "expected"),
    [({}, None), ({"dpr": "2"}, 2.0), ({"dpr": "1.5"}, 1.5), ({"dpr": "4"}, 4.0)],
)
def test_decimal(query, expected):
    """dpr is a short decimal from 1 to 4."""
    assert params.optional_decimal(query, "dpr", low=1, high=4) == expected


@pytest.mark.parametrize(
    "value", ["0.5", "5", "1e0", "nan", "inf", "²", "", "1.", "2\n"]
)
def test_decimal_refuses(value):
    """Out of range, exponents, nan and inf are refused."""
    with pytest.raises(params.ParamError, match="dpr"):
        params.optional_decimal({"dpr": value}, "dpr", low=1, high=4)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("WEBP", "webp"), ("Jpg", "jpeg"), ("avif", "avif"), ("png", "png")],
)
def test_format_is_case_insensitive(value, expected):
    """Formats are read in any case; jpg means jpeg."""
    assert params.optional_format({"format": value}) == expected


@pytest.mark.parametrize("value", ["gif", "svg", "", "x" * 100, "jpeg\x00"])
def test_unknown_formats_are_refused(value):
    """Only formats mediahub makes."""
    with pytest.raises(params.ParamError, match="format"):
        params.optional_format({"format": value})


@pytest.mark.parametrize(
    "value",
    ["2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "yesterday", ""],
)
def test_datetime_needs_rfc_3339_with_an_offset(value):
    """updated_since is an RFC 3339 date and time with Z or an offset."""
    with pytest.raises(params.ParamError, match="updated_since"):
        params.optional_datetime({"updated_since": value}, "updated_since")


def test_datetime_is_given_in_utc():
    """Offsets PostgreSQL cannot store (past 15:59) are converted to UTC."""
    parsed = params.optional_datetime(
        {"updated_since": "2026-02-27T22:34:36+22:24"}, "updated_since"
    )
    assert parsed.isoformat() == "2026-02-27T00:10:36+00:00"


def test_datetime_at_the_end_of_time_is_an_error():
    """A date that overflows when moved to UTC is refused, not a 500."""
    with pytest.raises(params.ParamError, match="real date"):
        params.optional_datetime(
            {"updated_since": "9999-12-31T23:59:59-23:59"}, "updated_since"
        )
