"""Format negotiation for embed links: a table through one function, no Django."""

import pytest

from transcoder.delivery.negotiation import negotiate, parse_accept

CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
SAFARI_15 = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"
OLD = "image/png,image/*;q=0.8,*/*;q=0.5"
ALL = {"avif", "webp", "jpeg"}


@pytest.mark.parametrize(
    ("available", "asked", "accept", "expected"),
    [
        (ALL, None, CHROME, "avif"),
        (ALL, None, SAFARI_15, "webp"),
        (ALL, None, OLD, "jpeg"),
        (ALL, None, None, "jpeg"),
        (ALL, None, "", "jpeg"),
        (ALL, None, "image/avif;q=0, image/webp;q=0.5", "webp"),
        (ALL, None, "IMAGE/AVIF", "avif"),
        (ALL, "webp", OLD, "webp"),
        (ALL, "png", CHROME, "jpeg"),
        ({"avif", "png"}, "jpeg", CHROME, "png"),
        ({"webp", "png"}, None, CHROME, "webp"),
        ({"png"}, "avif", CHROME, "png"),
        ({"avif"}, "png", "image/png", None),
        ({"avif"}, None, "image/png", None),
        ({"webp", "avif"}, None, "*/*", "webp"),
        (set(), None, CHROME, None),
    ],
)
def test_negotiate(available, asked, accept, expected):
    """AVIF, then WebP, only when named; JPEG/PNG for everyone; never an unasked one."""
    assert negotiate(available, asked=asked, accept=accept) == expected


def test_parse_accept_survives_garbage():
    """Broken parts are skipped, bad q-values count as 0, and the list is capped."""
    ranges = parse_accept("image/webp;q=abc, nonsense, ;;, image/avif;q=0.9")
    assert ranges == {"image/webp": 0.0, "image/avif": 0.9}
    assert len(parse_accept(",".join(f"image/x{i}" for i in range(1000)))) == 64


@pytest.mark.parametrize("q", ["nan", "NaN", "inf", "1e9", "²", "1.0001", "-1", "2"])
def test_malformed_qvalues_are_not_acceptable(q):
    """Only RFC 9110 qvalues count; anything else weighs 0 rather than winning."""
    ranges = parse_accept(f"image/avif;q={q}, image/webp")
    assert ranges["image/avif"] == 0.0
    assert ranges["image/webp"] == 1.0
