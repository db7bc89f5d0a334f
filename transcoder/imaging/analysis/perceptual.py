"""Perceptual difference hash (dHash): near-identical images get near-equal hashes.

Pure Pillow, no Django, no numpy: it must fit the Lambda package. The hash is
64 bits: the image is made upright and grey, reduced to 9x8 pixels, and each
bit says whether a pixel is brighter than its right-hand neighbour. Resizing,
recompression and light crops flip only a few bits; a different photo flips
about half. Compare hashes with ``distance`` (the Hamming distance).

For a bounded lookup the hash is split into five bands (four of 13 bits, one
of 12), as multi-index hashing does: two hashes within ``THRESHOLD`` = 9 bits
of each other differ by at most ``RADIUS`` = 1 bit in at least one band
(pigeonhole: five bands two bits off are ten bits). So an index on
(band, value), asked for each band's value and its one-bit neighbours
(``probes``: 69 values), finds every candidate without scanning the library.
A 13-bit band value is shared by one hash in 8,192: about 10,000 candidates
at a million random hashes, where ten exact bands of 6-7 bits read 150,000.
"""

import io

from PIL import Image, ImageOps

from transcoder.imaging.decode import heif, webp
from transcoder.imaging.decode.sniff import PILLOW_FORMATS, classify

SIZE = 8
BAND_WIDTHS = (13, 13, 13, 13, 12)
# How many bits a band may differ by and still be probed (see probes()).
RADIUS = 1  # probes() flips one bit at most.
# Calibrated on the benchmark photos (bench/calibrate_dhash.py): resized and
# recompressed copies are at most 3 bits away, copies cropped by 2% per side
# at most 8; the closest two different photos are 18 apart. A 5% crop is 6 to
# 14 away, so only some of those count as similar.
THRESHOLD = 9
# Exhaustive up to THRESHOLD: a look-alike is RADIUS + 1 bits off in every band
# only if it is more than THRESHOLD bits off in all.
assert len(BAND_WIDTHS) * (RADIUS + 1) > THRESHOLD
assert sum(BAND_WIDTHS) == 64
# Transparent images are flattened this many rows at a time, so a 50 MP RGBA
# image needs its grey copy (50 MB) beside it rather than three more full
# RGBA copies (600 MB); the pixels are the ones a whole-image flatten makes.
FLATTEN_ROWS = 256


class PerceptualError(ValueError):
    """The bytes could not be decoded into an image to hash."""


def dhash_image(image):
    """Return the 64-bit difference hash of a Pillow image, as an int.

    The image is turned upright in place: callers hand over an image of their own.
    """
    # Not a copy: for a 50 MP RGBA image that would be 200 MB more.
    ImageOps.exif_transpose(image, in_place=True)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Transparent pixels hash as white, as a page would show them.
        grey = _flat_grey(image)
    else:
        grey = image.convert("L")
    grey = grey.resize((SIZE + 1, SIZE), Image.Resampling.LANCZOS)
    pixels = grey.load()
    value = 0
    for y in range(SIZE):
        for x in range(SIZE):
            value = (value << 1) | (pixels[x, y] > pixels[x + 1, y])
    return value


def _flat_grey(image):
    """Return ``image`` composited over white, in grey, a band of rows at a time."""
    width, height = image.size
    grey = Image.new("L", image.size)
    white = Image.new("RGBA", (width, FLATTEN_ROWS), (255, 255, 255, 255))
    for top in range(0, height, FLATTEN_ROWS):
        rows = min(FLATTEN_ROWS, height - top)
        band = image.crop((0, top, width, top + rows)).convert("RGBA")
        flat = Image.alpha_composite(
            white if rows == FLATTEN_ROWS else white.crop((0, 0, width, rows)), band
        )
        grey.paste(flat.convert("L"), (0, top))
    return grey


def dhash_bytes(data):
    """Return the difference hash of encoded image bytes; decode as little as needed.

    JPEG is decoded at a reduced scale (draft mode), so a large photo costs a
    fraction of a full decode. Raise PerceptualError if it cannot be decoded.
    """
    return dhash_and_look(data, None)[0]


def dhash_and_look(data, look):
    """Return ``(hash, look(image))`` from one reduced decode of ``data``.

    ``look`` gets the upright decoded image (JPEG at a draft scale) once the
    hash is taken, for other cheap facts of the same decode (the suggested
    focal area, imaging.analysis.saliency); None skips it.
    """

    def both(image):
        value = dhash_image(image)  # turns ``image`` upright in place
        return value, look(image) if look else None

    kind = classify(data)
    if kind not in PILLOW_FORMATS:
        # Only the formats mediahub accepts are ever opened (never EPS & co).
        raise PerceptualError(f"Could not hash the image: {kind} is not accepted.")
    if kind == "heif" and not heif.register():
        raise PerceptualError("Could not hash the image: HEIF is not installed.")
    try:
        with Image.open(io.BytesIO(data), formats=PILLOW_FORMATS[kind]) as image:
            image.draft("RGB", (64, 64))
            image.seek(0)
            if kind == "webp" and not getattr(image, "is_animated", False):
                # Pillow's WebP path holds the pixels four times; see decode/webp.py.
                still = webp.decode_still(data, image.size)
                if still is not None:
                    still.info = image.info
                    return both(still)
            return both(image)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise PerceptualError(f"Could not hash the image: {e}") from e


def distance(a, b):
    """Return the number of bits in which two hashes differ."""
    return (a ^ b).bit_count()


def to_hex(value):
    """Return a hash as 16 hex digits, as stored."""
    return f"{value:016x}"


def from_hex(text):
    """Return the int of a stored hash."""
    return int(text, 16)


def to_signed(value):
    """Return a 64-bit hash as a signed 64-bit int (a database BIGINT)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def from_signed(value):
    """Return the hash of ``to_signed``'s int."""
    return value & ((1 << 64) - 1)


def bands(value):
    """Return the hash's bands, most significant first, each an int."""
    out, shift = [], 64
    for width in BAND_WIDTHS:
        shift -= width
        out.append((value >> shift) & ((1 << width) - 1))
    return out


def probes(value):
    """Return ``[(band, [values])]``: each band's value and every value within
    ``RADIUS`` bits of it. A hash within THRESHOLD of ``value`` has at least
    one band among them (see the module's docstring)."""
    out = []
    for band, (part, width) in enumerate(zip(bands(value), BAND_WIDTHS, strict=True)):
        out.append((band, [part] + [part ^ (1 << bit) for bit in range(width)]))
    return out
