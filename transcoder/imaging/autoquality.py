"""Perceptual auto-quality: the lowest encoder quality whose result meets a target.

No Django and no numpy: Pillow alone. A rendition asks for a *target* on the
SSIMULACRA2 scale (90 is visually lossless up close, 80 high, 70 good web
quality) instead of a fixed quality. ``choose`` then

1. cuts a small *proxy* out of the rendition's own resized image: the image
   itself when small, else tiles at full resolution spread over it (codecs
   work on 8-64 px blocks, so a tile compresses as it would in place);
2. encodes and decodes the proxy at a few qualities, each picked from the
   ones before (a secant step on the quality-to-score curve, bracketed), and
   scores each against the proxy's pixels;
3. returns the lowest quality whose score met the target, with that score.

The score is a multi-scale SSIM on the YCbCr planes, with block statistics
in 32-bit float images (``ImageMath``, ``reduce``), plus the loss and gain of
local contrast (blur, ringing), mapped onto the SSIMULACRA2 scale by weights
fitted to SSIMULACRA2 on the benchmark photos (``python -m
bench.calibrate_quality``; docs/benchmarks.md has the figures).
"""

import dataclasses
import io
import math
from collections.abc import Callable

from PIL import Image, ImageMath

# The targets a preset may ask for, on the SSIMULACRA2 scale.
MIN_TARGET = 30
MAX_TARGET = 95
# What a new preset asks for (see docs/benchmarks.md for why this value).
DEFAULT_TARGET = 75
# The quality range searched per format, and where the search starts for a
# target of 75; other targets shift the start by START_SLOPE per point.
QUALITY_RANGE = {"jpeg": (20, 95), "webp": (20, 95), "avif": (20, 90)}
START = {"jpeg": 72, "webp": 72, "avif": 55}
START_SLOPE = 1.4
# Score points gained per quality step, for the first step away from the start.
SLOPE = 0.6
# Stop when the lowest passing and highest failing quality are this close.
TOLERANCE = {"jpeg": 2, "webp": 2, "avif": 3}
MAX_PROBES = {"jpeg": 4, "webp": 4, "avif": 3}
# The proxy: at most this many pixels, as square tiles of TILE pixels. AVIF
# encodes cost 20x JPEG's per pixel (engine.ENCODE_NS_PER_PIXEL), so its
# proxy is smaller.
PROXY_PIXELS = {"jpeg": 128 * 1024, "webp": 96 * 1024, "avif": 64 * 1024}
TILE = 64
# SSIM's constants for 8-bit planes, block size and number of scales.
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2
BLOCK = 4
SCALES = 4
# The metric's weights per feature (scale, plane, kind), fitted by
# bench/calibrate_quality.py; the score is 100 - 10 * (weights . features)
# ** EXPONENT, SSIMULACRA2's own final mapping.
EXPONENT = 0.6276
KINDS = ("ssim", "ssim4", "gain", "loss")
WEIGHTS = {
    (scale, plane, kind): 0.0
    for scale in range(SCALES)
    for plane in range(3)
    for kind in KINDS
}
WEIGHTS.update(
    {(0, 0, "ssim"): 20.0, (1, 0, "ssim"): 20.0, (0, 1, "ssim"): 5.0},
)


@dataclasses.dataclass(frozen=True)
class Choice:
    """The quality chosen, its score, and the encoded image if already made."""

    quality: int
    score: float
    data: bytes | None
    probes: int


def target_error(target) -> str | None:
    """Return why ``target`` is not a valid target, or None if it is."""
    if isinstance(target, bool) or not isinstance(target, int):
        return "type"
    return None if MIN_TARGET <= target <= MAX_TARGET else "range"


def choose(
    image: Image.Image,
    fmt: str,
    target: int,
    encode: Callable[[Image.Image, int], bytes],
    background: str = "#ffffff",
) -> Choice:
    """Return the lowest quality whose ``encode`` of ``image`` scores ``target``.

    ``encode(image, quality)`` must encode as the final output will be; it is
    called on the proxy only, except when the proxy is the whole image, whose
    passing encode is returned as ``data``.
    """
    lo, hi = QUALITY_RANGE[fmt]
    whole = image.width * image.height <= PROXY_PIXELS[fmt]
    small = image if whole else proxy(image, PROXY_PIXELS[fmt])
    reference = Reference(_flat(small, background))
    scores: dict[int, float] = {}
    kept: dict[int, bytes] = {}

    def probe(quality):
        data = encode(small, quality)
        with Image.open(io.BytesIO(data)) as decoded:
            scores[quality] = reference.score(_flat(decoded, background))
        if whole:
            kept[quality] = data
        return scores[quality]

    start = round(START[fmt] + START_SLOPE * (target - DEFAULT_TARGET))
    quality = min(hi, max(lo, start))
    probe(quality)
    while len(scores) < MAX_PROBES[fmt]:
        passing = [q for q, s in scores.items() if s >= target]
        failing = [q for q, s in scores.items() if s < target]
        best = min(passing, default=None)
        worst = max(failing, default=None)
        if best is not None and worst is not None and best - worst <= TOLERANCE[fmt]:
            break
        if best == lo or worst == hi:
            break
        quality = _next(scores, target, best, worst, lo, hi)
        if quality in scores:
            break
        probe(quality)
    passing = [q for q, s in scores.items() if s >= target]
    if not passing:
        # Nothing probed reached the target: the highest quality allowed.
        if hi not in scores:
            probe(hi)
        passing = [hi]
    chosen = min(passing)
    return Choice(chosen, round(scores[chosen], 1), kept.get(chosen), len(scores))


def _next(scores, target, best, worst, lo, hi) -> int:
    """Return the next quality to probe: between the bracket, or a step beyond."""
    if best is not None and worst is not None:
        # Secant between the bracket's ends, kept strictly inside it.
        s_best, s_worst = scores[best], scores[worst]
        slope = max((s_best - s_worst) / (best - worst), 1e-3)
        guess = worst + (target - s_worst) / slope
        return min(best - 1, max(worst + 1, math.ceil(guess)))
    quality, score = min(scores.items(), key=lambda qs: abs(qs[1] - target))
    ordered = sorted(scores.items())
    slope = SLOPE
    if len(ordered) >= 2:
        (q1, s1), (q2, s2) = ordered[0], ordered[-1]
        slope = max((s2 - s1) / (q2 - q1), 0.1)
    step = (target - score) / slope
    # Overshoot a little past the target, so the next probe brackets it.
    step += 1 if step > 0 else -1
    return min(hi, max(lo, round(quality + step)))


def proxy(image: Image.Image, pixels: int) -> Image.Image:
    """Return tiles of ``image`` spread over it, at full resolution, side by side.

    About ``pixels`` in all, as a grid shaped like the image; each tile is
    taken from the middle of its cell, its corner on the 16 px grid that JPEG
    MCUs and WebP macroblocks use.
    """
    width, height = image.size
    if width < TILE or height < TILE or width * height <= pixels:
        return image
    count = max(1, pixels // (TILE * TILE))
    cols = max(1, min(width // TILE, round(math.sqrt(count * width / height))))
    rows = max(1, min(height // TILE, count // cols))
    out = Image.new(image.mode, (cols * TILE, rows * TILE))
    for row in range(rows):
        for col in range(cols):
            x = int((col + 0.5) * width / cols - TILE / 2) // 16 * 16
            y = int((row + 0.5) * height / rows - TILE / 2) // 16 * 16
            x = min(max(x, 0), width - TILE)
            y = min(max(y, 0), height - TILE)
            tile = image.crop((x, y, x + TILE, y + TILE))
            out.paste(tile, (col * TILE, row * TILE))
    return out


def _flat(image: Image.Image, background: str) -> Image.Image:
    """Return ``image`` as RGB, any transparency laid on ``background``."""
    if image.mode == "RGB":
        return image
    if "A" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, background)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _planes(image: Image.Image) -> list[Image.Image]:
    """Return the Y, Cb and Cr planes of an RGB image as float images."""
    return [plane.convert("F") for plane in image.convert("YCbCr").split()]


def _mean(image: Image.Image) -> float:
    """Return the mean of a float image."""
    return image.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))


def _stats(plane: Image.Image):
    """Return a plane's block means and mean squares, blocks offset by half."""
    half = BLOCK // 2
    width = (plane.width - half) // BLOCK * BLOCK
    height = (plane.height - half) // BLOCK * BLOCK
    plane = plane.crop((half, half, half + width, half + height))
    square = ImageMath.lambda_eval(lambda a: a["x"] * a["x"], x=plane)
    return plane, plane.reduce(BLOCK), square.reduce(BLOCK)


def _levels(planes):
    """Yield the planes at each scale, halving each time, while 8 px or more."""
    for _scale in range(SCALES):
        if min(planes[0].size) < 2 * BLOCK + BLOCK // 2:
            return
        yield planes
        planes = [plane.reduce(2) for plane in planes]


class Reference:
    """The proxy's own pixels, with their statistics computed once per search."""

    def __init__(self, image: Image.Image):
        self.levels = [
            [_stats(plane) for plane in planes] for planes in _levels(_planes(image))
        ]

    def features(self, image: Image.Image) -> dict:
        """Return the error features of ``image`` against the reference."""
        out = dict.fromkeys(WEIGHTS, 0.0)
        for scale, (mine, theirs) in enumerate(
            zip(self.levels, _levels(_planes(image)), strict=False)
        ):
            for plane, ((x, mx, xx), y) in enumerate(zip(mine, theirs, strict=True)):
                y, my, yy = _stats(y)
                xy = ImageMath.lambda_eval(lambda a: a["x"] * a["y"], x=x, y=y)
                xy = xy.reduce(BLOCK)
                maps = _maps(mx, my, xx, yy, xy)
                for kind, value in zip(KINDS, maps, strict=True):
                    out[(scale, plane, kind)] = value
        return out

    def score(self, image: Image.Image) -> float:
        """Return ``image``'s score on the SSIMULACRA2 scale against the reference."""
        return score_of(self.features(image))


def _maps(mx, my, xx, yy, xy):
    """Return mean SSIM error, its 4-norm, mean contrast gain and loss."""

    def ssim(a):
        mu = a["mx"] * a["my"]
        var_x = a["xx"] - a["mx"] * a["mx"]
        var_y = a["yy"] - a["my"] * a["my"]
        cov = a["xy"] - mu
        top = (2 * mu + _C1) * (2 * cov + _C2)
        bottom = (a["mx"] * a["mx"] + a["my"] * a["my"] + _C1) * (var_x + var_y + _C2)
        return 1.0 - top / bottom

    args = {"mx": mx, "my": my, "xx": xx, "yy": yy, "xy": xy}
    error = ImageMath.lambda_eval(ssim, **args)
    fourth = ImageMath.lambda_eval(lambda a: a["e"] * a["e"] * a["e"] * a["e"], e=error)
    sx = ImageMath.lambda_eval(_deviation, m=mx, s=xx)
    sy = ImageMath.lambda_eval(_deviation, m=my, s=yy)
    # Contrast the output gained (ringing, blocking) or lost (blur), in grey
    # levels: SSIMULACRA2's edge maps, on block deviations.
    gain = ImageMath.lambda_eval(lambda a: a["max"](a["y"] - a["x"], 0.0), x=sx, y=sy)
    loss = ImageMath.lambda_eval(lambda a: a["max"](a["x"] - a["y"], 0.0), x=sx, y=sy)
    return (
        _mean(error),
        max(_mean(fourth), 0.0) ** 0.25,
        _mean(gain),
        _mean(loss),
    )


def _deviation(a):
    """Return the standard deviation from block means ``m`` and mean squares ``s``."""
    return a["max"](a["s"] - a["m"] * a["m"], 0.0) ** 0.5


def score_of(features: dict) -> float:
    """Map error features onto the SSIMULACRA2 scale (100: identical)."""
    distance = sum(WEIGHTS[key] * value for key, value in features.items())
    return 100.0 - 10.0 * max(distance, 0.0) ** EXPONENT
