"""Fuzz the upload validator and the engine with mutated real images.

Hypothesis cuts, flips bits in, splices and pads small valid files of every
accepted format. Each mutant must be refused with an ImageError (the upload
validator's AssetRefusedError) or transcoded within a time bound: nothing
else may happen. The run is derandomized and bounded so the suite stays fast
and repeatable; raise FUZZ_EXAMPLES locally for a longer hunt.
"""

import functools
import io
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests import images
from transcoder.imaging import engine
from transcoder.imaging.specs import RenditionSpec

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
LIMITS = engine.Limits(max_bytes=4 * 1024 * 1024, max_pixels=4_000_000)
SPECS = [
    RenditionSpec(fit="cover", width=32, height=32, format="webp"),
    RenditionSpec(fit="contain", width=48, height=48, format="jpeg"),
]
# Seconds one mutant may take through inspect and render together.
TIME_BOUND = 5.0
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # the explicit time bound below says more than a deadline
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@functools.cache
def seeds():
    """Return small real images of every accepted format, some with metadata."""
    noisy = Image.merge(
        "RGB", [Image.effect_noise((48, 32), 50 + i) for i in (0, 9, 18)]
    )
    return [
        images.encode(noisy, "JPEG", exif=images.gps_exif_bytes(), quality=80),
        images.encode(noisy, "JPEG", progressive=True, orientation=6),
        images.encode(noisy.convert("RGBA"), "PNG"),
        images.encode(noisy.convert("P"), "GIF"),
        images.animation("GIF", [(16, 16)] * 3),
        images.animation("PNG", [(16, 16)] * 2),
        images.encode(noisy, "WEBP", quality=60),
        images.encode(noisy, "TIFF", compression="tiff_lzw"),
        images.encode(noisy, "AVIF", quality=50),
        images.encode(noisy, "HEIF", quality=50),
        images.raw_png(20, 10, bit_depth=16, colour_type=6, interlace=True),
    ]


seed = st.integers(min_value=0, max_value=len(seeds()) - 1).map(lambda i: seeds()[i])


@st.composite
def truncated(draw):
    data = draw(seed)
    return data[: draw(st.integers(0, len(data) - 1))]


@st.composite
def bit_flipped(draw):
    data = draw(seed)
    positions = draw(
        st.lists(st.integers(0, len(data) * 8 - 1), min_size=1, max_size=8)
    )
    for position in positions:
        data = images.flip_bit(data, position)
    return data


@st.composite
def spliced(draw):
    """Return one file's head on another file's body, as a polyglot would be."""
    head, body = draw(seed), draw(seed)
    cut = draw(st.integers(1, min(len(head), 64)))
    return head[:cut] + body[draw(st.integers(0, len(body) - 1)) :]


@st.composite
def overwritten(draw):
    """Return a file with a short run of its header replaced by random bytes."""
    data = bytearray(draw(seed))
    start = draw(st.integers(0, min(len(data) - 1, 200)))
    patch = draw(st.binary(min_size=1, max_size=16))
    data[start : start + len(patch)] = patch
    return bytes(data)


MUTANTS = st.one_of(truncated(), bit_flipped(), spliced(), overwritten())


def _transcode_or_refuse(data):
    """Run ``data`` through the engine; fail on anything but success or refusal."""
    started = time.monotonic()
    try:
        info = engine.inspect(data, LIMITS)
        outputs = engine.render(data, SPECS, LIMITS)
    except engine.ImageError as e:
        message = str(e)
        outcome = "refused"
    else:
        message = "transcoded"
        assert info.width > 0 and info.height > 0
        for output in outputs:
            image = Image.open(io.BytesIO(output.data))
            image.load()
            assert image.mode in ("RGB", "RGBA")
        outcome = "transcoded"
    assert message.strip(), "a refusal needs a message"
    assert time.monotonic() - started < TIME_BOUND
    return outcome


@FUZZ
@given(MUTANTS)
def test_engine_refuses_or_transcodes_every_mutant(data):
    """Mutated images are refused with an ImageError or transcoded in time."""
    _transcode_or_refuse(data)


@pytest.mark.django_db
@settings(FUZZ, max_examples=max(EXAMPLES // 3, 10))
@given(MUTANTS)
def test_upload_validator_refuses_or_accepts_every_mutant(data):
    """The upload validator answers AssetRefusedError or facts, nothing else."""
    from transcoder import services

    try:
        info = services.validate_image(data)
    except services.AssetRefusedError as e:
        refusal = e
    else:
        assert info.format in ("jpeg", "png", "gif", "webp", "tiff", "avif", "heif")
        return
    assert refusal.messages[0] and refusal.code.endswith("Error")


def test_seeds_are_all_accepted():
    """Every unmutated seed transcodes, so the mutants start from real images."""
    assert {_transcode_or_refuse(data) for data in seeds()} == {"transcoded"}
