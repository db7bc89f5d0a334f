"""Placeholders: a ThumbHash and the dominant colour of an image, and back.

No Django, no numpy: pure Python over a tiny image, so it fits the Lambda
package. The engine hands over an image it has already resized for a
rendition (see ``engine.render_iter``), so no extra decode is made; shrinking
that to ``HASH_SIDE`` pixels costs well under a millisecond.

ThumbHash is Evan Wallace's algorithm (MIT licence, evanw/thumbhash); the
encoder and decoder below follow his reference JavaScript line by line,
including its rounding (JavaScript's ``Math.round`` rounds halves up, and a
``Uint8Array`` store truncates), so hashes equal the reference's byte for
byte. The Python ports on PyPI were not used: the one without dependencies
breaks on transparent images and prints while decoding, another pins an old
Pillow and a CLI framework.
"""

import base64
import binascii
import dataclasses
import functools
import io
import math

from PIL import Image

# The encoder's input side: ThumbHash keeps at most 7x7 cosine terms, so 32
# pixels a side carry all it keeps, at a tenth of the work of the reference's
# 100.
HASH_SIDE = 32
# The dominant colour is a median cut of an image this size into this many
# colours, the largest cluster winning.
COLOUR_SIDE = 64
COLOURS = 8
# Pixels at least this opaque count for the dominant colour.
OPAQUE = 128


class PlaceholderError(ValueError):
    """A ThumbHash that cannot be decoded."""


@dataclasses.dataclass(frozen=True)
class Placeholder:
    thumbhash: str  # base64, as the reference's demo and most clients use
    colour: str  # "#rrggbb"


def _js_round(value):
    """Round halves up, as JavaScript's ``Math.round`` does."""
    return math.floor(value + 0.5)


def from_image(image: Image.Image) -> Placeholder:
    """Return the placeholder of an upright 8-bit image of any size."""
    # The colour's image first, the hash's from it: the source is read once.
    small = _shrunk(image, COLOUR_SIDE)
    if small.mode not in ("RGB", "RGBA"):
        small = small.convert("RGBA" if small.has_transparency_data else "RGB")
    rgba = _shrunk(small, HASH_SIDE).convert("RGBA")
    digest = encode(rgba.width, rgba.height, rgba.tobytes())
    return Placeholder(
        thumbhash=base64.b64encode(digest).decode("ascii"),
        colour=dominant_colour(small),
    )


def _shrunk(image: Image.Image, side: int) -> Image.Image:
    """Return ``image`` fitted within ``side`` pixels a side (a new image)."""
    scale = min(1.0, side / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if image.mode == "RGBa":
        image = image.convert("RGBA")
    return image.resize(size, Image.Resampling.BOX, reducing_gap=2.0)


def dominant_colour(image: Image.Image) -> str:
    """Return the colour of the largest median-cut cluster as ``#rrggbb``.

    Transparent pixels do not count; a wholly transparent image is white.
    """
    small = _shrunk(image, COLOUR_SIDE)
    if small.mode not in ("RGB", "RGBA"):
        small = small.convert("RGBA" if small.has_transparency_data else "RGB")
    rgb = small.convert("RGB")
    mask = None
    if small.mode == "RGBA":
        alpha = small.getchannel("A").point(lambda a: 255 if a >= OPAQUE else 0)
        if not alpha.getbbox():
            return "#ffffff"
        mask = alpha
    quantized = rgb.quantize(COLOURS, method=Image.Quantize.MEDIANCUT)
    counts = [0] * 256
    indexes = quantized.tobytes()
    keep = mask.tobytes() if mask else None
    for position, index in enumerate(indexes):
        if keep is None or keep[position]:
            counts[index] += 1
    best = max(range(256), key=lambda i: (counts[i], -i))
    palette = quantized.getpalette()
    r, g, b = palette[best * 3 : best * 3 + 3]
    return f"#{r:02x}{g:02x}{b:02x}"


def encode(w: int, h: int, rgba: bytes) -> bytes:
    """Encode ``w`` x ``h`` RGBA pixels (not premultiplied) to a ThumbHash."""
    if w > 100 or h > 100:
        raise ValueError(f"{w}x{h} doesn't fit in 100x100")
    pixels = w * h
    avg_r = avg_g = avg_b = avg_a = 0.0
    for j in range(0, pixels * 4, 4):
        alpha = rgba[j + 3] / 255
        avg_r += alpha / 255 * rgba[j]
        avg_g += alpha / 255 * rgba[j + 1]
        avg_b += alpha / 255 * rgba[j + 2]
        avg_a += alpha
    if avg_a:
        avg_r /= avg_a
        avg_g /= avg_a
        avg_b /= avg_a

    has_alpha = avg_a < pixels
    l_limit = 5 if has_alpha else 7  # fewer luminance bits if there is alpha
    lx = max(1, _js_round(l_limit * w / max(w, h)))
    ly = max(1, _js_round(l_limit * h / max(w, h)))
    lum, yb, rg, al = [], [], [], []
    # From RGBA to LPQA, composited atop the average colour.
    for j in range(0, pixels * 4, 4):
        alpha = rgba[j + 3] / 255
        r = avg_r * (1 - alpha) + alpha / 255 * rgba[j]
        g = avg_g * (1 - alpha) + alpha / 255 * rgba[j + 1]
        b = avg_b * (1 - alpha) + alpha / 255 * rgba[j + 2]
        lum.append((r + g + b) / 3)
        yb.append((r + g) / 2 - b)
        rg.append(r - g)
        al.append(alpha)

    def channel(values, nx, ny):
        dc, ac, scale = 0.0, [], 0.0
        # Each row's values times one cosine column, kept per cx: the sum
        # below adds (value * fx) * fy in the reference's order, so the
        # floats are the same, for a third of the time.
        rows_by_cx = {}
        for cy in range(ny):
            cx = 0
            while cx * ny < nx * (ny - cy):
                if cx not in rows_by_cx:
                    fx = [math.cos(math.pi / w * cx * (x + 0.5)) for x in range(w)]
                    rows_by_cx[cx] = [
                        [
                            v * c
                            for v, c in zip(values[y * w : y * w + w], fx, strict=True)
                        ]
                        for y in range(h)
                    ]
                f = 0.0
                for y, row in enumerate(rows_by_cx[cx]):
                    fy = math.cos(math.pi / h * cy * (y + 0.5))
                    for product in row:
                        f += product * fy
                f /= pixels
                if cx or cy:
                    ac.append(f)
                    scale = max(scale, abs(f))
                else:
                    dc = f
                cx += 1
        if scale:
            ac = [0.5 + 0.5 / scale * f for f in ac]
        return dc, ac, scale

    l_dc, l_ac, l_scale = channel(lum, max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = channel(yb, 3, 3)
    q_dc, q_ac, q_scale = channel(rg, 3, 3)
    if has_alpha:
        a_dc, a_ac, a_scale = channel(al, 5, 5)

    landscape = w > h
    header24 = (
        _js_round(63 * l_dc)
        | (_js_round(31.5 + 31.5 * p_dc) << 6)
        | (_js_round(31.5 + 31.5 * q_dc) << 12)
        | (_js_round(31 * l_scale) << 18)
        | (int(has_alpha) << 23)
    )
    header16 = (
        (ly if landscape else lx)
        | (_js_round(63 * p_scale) << 3)
        | (_js_round(63 * q_scale) << 9)
        | (int(landscape) << 15)
    )
    out = [header24 & 255, (header24 >> 8) & 255, header24 >> 16]
    out += [header16 & 255, header16 >> 8]
    if has_alpha:
        out.append(_js_round(15 * a_dc) | (_js_round(15 * a_scale) << 4))
    start = len(out)
    terms = [l_ac, p_ac, q_ac] + ([a_ac] if has_alpha else [])
    index = 0
    for ac in terms:
        for f in ac:
            position = start + (index >> 1)
            if position == len(out):
                out.append(0)
            out[position] |= _js_round(15 * f) << ((index & 1) << 2)
            index += 1
    return bytes(out)


def aspect_ratio(digest: bytes) -> float:
    """Return the approximate width / height that ``digest`` records."""
    has_alpha = digest[2] & 0x80
    landscape = digest[4] & 0x80
    lx = (5 if has_alpha else 7) if landscape else digest[3] & 7
    ly = digest[3] & 7 if landscape else (5 if has_alpha else 7)
    return lx / ly


def decode(digest: bytes) -> tuple[int, int, bytes]:
    """Decode a ThumbHash to ``(w, h, rgba)``, at most 32 pixels a side."""
    if len(digest) < 5 or (digest[2] & 0x80 and len(digest) < 6):
        raise PlaceholderError("A ThumbHash has at least 5 bytes.")
    header24 = digest[0] | (digest[1] << 8) | (digest[2] << 16)
    header16 = digest[3] | (digest[4] << 8)
    l_dc = (header24 & 63) / 63
    p_dc = ((header24 >> 6) & 63) / 31.5 - 1
    q_dc = ((header24 >> 12) & 63) / 31.5 - 1
    l_scale = ((header24 >> 18) & 31) / 31
    has_alpha = header24 >> 23
    p_scale = ((header16 >> 3) & 63) / 63
    q_scale = ((header16 >> 9) & 63) / 63
    landscape = header16 >> 15
    lx = max(3, (5 if has_alpha else 7) if landscape else header16 & 7)
    ly = max(3, header16 & 7 if landscape else (5 if has_alpha else 7))
    a_dc = (digest[5] & 15) / 15 if has_alpha else 1
    a_scale = (digest[5] >> 4) / 15 if has_alpha else 0
    start = 6 if has_alpha else 5
    index = 0

    def channel(nx, ny, scale):
        nonlocal index
        ac = []
        for cy in range(ny):
            cx = 0 if cy else 1
            while cx * ny < nx * (ny - cy):
                position = start + (index >> 1)
                if position >= len(digest):
                    raise PlaceholderError("This ThumbHash is cut short.")
                nibble = (digest[position] >> ((index & 1) << 2)) & 15
                ac.append((nibble / 7.5 - 1) * scale)
                index += 1
                cx += 1
        return ac

    # Saturation boosted by 1.25 to make up for quantization, as the reference.
    l_ac = channel(lx, ly, l_scale)
    p_ac = channel(3, 3, p_scale * 1.25)
    q_ac = channel(3, 3, q_scale * 1.25)
    a_ac = channel(5, 5, a_scale) if has_alpha else []

    ratio = aspect_ratio(digest)
    w = _js_round(32 if ratio > 1 else 32 * ratio)
    h = _js_round(32 / ratio if ratio > 1 else 32)
    out = bytearray(w * h * 4)
    nx, ny = max(lx, 5 if has_alpha else 3), max(ly, 5 if has_alpha else 3)
    columns = [
        [math.cos(math.pi / w * (x + 0.5) * cx) for cx in range(nx)] for x in range(w)
    ]
    i = 0
    for y in range(h):
        fy = [math.cos(math.pi / h * (y + 0.5) * cy) for cy in range(ny)]
        for fx in columns:
            lum, p, q, a = l_dc, p_dc, q_dc, a_dc
            j = 0
            for cy in range(ly):
                cx, fy2 = (0 if cy else 1), fy[cy] * 2
                while cx * ly < lx * (ly - cy):
                    lum += l_ac[j] * fx[cx] * fy2
                    cx += 1
                    j += 1
            j = 0
            for cy in range(3):
                fy2 = fy[cy] * 2
                for cx in range(0 if cy else 1, 3 - cy):
                    f = fx[cx] * fy2
                    p += p_ac[j] * f
                    q += q_ac[j] * f
                    j += 1
            if has_alpha:
                j = 0
                for cy in range(5):
                    fy2 = fy[cy] * 2
                    for cx in range(0 if cy else 1, 5 - cy):
                        a += a_ac[j] * fx[cx] * fy2
                        j += 1
            b = lum - 2 / 3 * p
            r = (3 * lum - b + q) / 2
            g = r - q
            for k, value in enumerate((r, g, b, a)):
                out[i + k] = int(max(0, 255 * min(1, value)))
            i += 4
    return w, h, bytes(out)


@functools.lru_cache(maxsize=1024)
def data_url(thumbhash: str) -> str:
    """Return a tiny PNG ``data:`` URL rendering a base64 ThumbHash.

    Cached: a gallery page renders each hash again on every request.
    """
    try:
        digest = base64.b64decode(thumbhash, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PlaceholderError("This ThumbHash is not base64.") from exc
    w, h, rgba = decode(digest)
    image = Image.frombytes("RGBA", (w, h), rgba)
    if image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def from_rendition(data: bytes) -> Placeholder:
    """Return the placeholder of a rendition this app encoded (trusted bytes)."""
    formats = ["JPEG", "PNG", "WEBP", "AVIF"]
    with Image.open(io.BytesIO(data), formats=formats) as image:
        image.draft("RGB", (COLOUR_SIDE, COLOUR_SIDE))
        image.load()
        return from_image(image)
