"""Perceptual auto-quality: the lowest encoder quality whose result meets a target.

No Django and no numpy: Pillow alone. A rendition asks for a *target* on the
SSIMULACRA2 scale (90 is visually lossless up close, 80 very high, 70
high) instead of a fixed quality. ``choose`` then

1. cuts a small *proxy* out of the rendition's own resized image: the image
   itself when small, else tiles at full resolution spread over it (codecs
   work on 8-64 px blocks, so a tile compresses as it would in place);
2. encodes and decodes the proxy at two qualities (a start per format, then
   a step by the format's slope towards the target; more only when neither
   passes), and scores each against the proxy's pixels;
3. returns the lowest quality whose score met the target, with that score;
   where nothing met it, not even the ceiling, it first tries the caller's
   *alternate* encoder a little under the ceiling (WebP's sharp YUV), kept
   where it looks better than the ceiling in no more bytes.

The score is SSIMULACRA2 itself, rebuilt from Pillow's float images
(``ssimulacra``), within a few tenths of a point of the ``ssimulacra2``
package on whole images (``python -m bench.calibrate_quality check``;
docs/benchmarks.md has the figures). The search is deterministic: the same
image and target give the same quality whatever thread runs it.
"""

import dataclasses
import io
import math
from collections.abc import Callable

from PIL import Image

from transcoder.imaging.decode.colour import flatten
from transcoder.imaging.quality import ssimulacra

# The targets a preset may ask for, on the SSIMULACRA2 scale.
MIN_TARGET = 30
MAX_TARGET = 95
# What a new preset asks for (see docs/benchmarks.md for why this value).
DEFAULT_TARGET = 65
# The quality range searched per format, and where the search starts for the
# default target; other targets shift the start by START_SLOPE qualities per
# point. The starts and slopes were fitted on the calibration photos' curves
# of proxy score against quality (JPEG's start on its perceptual tables: the
# median quality meeting the target is 44-60 on the large JPEGs, 56 over all);
# ``python -m bench.calibrate_quality search`` compares the search with an
# exact one (docs/benchmarks.md, search 5: on those photos 37.9% fewer bytes
# than quality 80 where the exact search saves 41.1%).
QUALITY_RANGE = {"jpeg": (20, 95), "webp": (20, 95), "avif": (20, 90)}
START = {"jpeg": 55, "webp": 56, "avif": 56}
START_SLOPE = 1.6
# Score points gained per quality step near the target, the median over the
# calibration photos' proxies, for the step from the first encode: WebP's
# curve is flat below quality 75, AVIF's steep.
SLOPE = {"jpeg": 0.6, "webp": 0.4, "avif": 1.0}
# libwebp's knee: above this quality its quantiser moves 3 times as fast.
WEBP_KNEE = 75
# After an encode that fell short, the step goes this many qualities past
# where the slope puts the target, so the second encode passes (and is
# chosen) more often than not.
OVERSHOOT = 2
# After an encode that passed, the step down stops this many qualities short
# of where the slope puts the target (negative: goes past it). A second
# encode that fails leaves the first, higher quality: WebP and AVIF stop
# short, so that it passes more often. JPEG's going past saved more, as
# measured (why is not known). On the calibration photos
# (``python -m bench.calibrate_quality search``; search 7 in
# docs/benchmarks.md) WebP and AVIF going past as JPEG does took 38.3% off
# quality 80's bytes, stopping short 39.3%; JPEG stopping short, at the
# slope's estimate, or 4 past it took 41.7%, 42.4% and 41.5% off its bytes,
# 2 past 43.1%.
SHORT_OF = {"jpeg": -OVERSHOOT, "webp": OVERSHOOT, "avif": OVERSHOOT}
# Score points the proxy's estimate must clear above the target. The proxy's
# tiles, side by side, keep the fine detail but lose the image's coarse
# structure (gentle gradients, where JPEG's blocks show most, and WebP's
# smoothing of large areas), so it over-estimates: on the calibration photos'
# large JPEGs by 1.8 on average, 3.5 at the 95th percentile and 3.9 at most,
# on their 1920w WebPs by 2.5, 4.9 and 5.4; their 640w WebPs it
# under-estimated by 0.7 (``python -m bench.calibrate_quality proxies``,
# runtime metric, encodes scoring 55-80). JPEG's margin keeps the worst within
# 2 points of the target, WebP's the 95th percentile. An AVIF proxy, encoded
# at the draft speed (9), under-estimated its rendition by 1.45 on average
# and over-estimated it by 1.1 at most on the calibration photos' 800w AVIFs
# scoring 55-80 (encoding.encode.AVIF_DRAFT_SPEED): it may fall a point and
# a half short. At speed 8 the margin was -1.0 (0.8 under on average); at 9,
# -1.0 took 52.7% off the calibration AVIFs' bytes, -1.5 52.9% and -2.5 54.2%
# but with a rendition 2.5 points under the target (``python -m
# bench.calibrate_quality search``). Checking the choice
# on the whole output's coarse scales instead was measured and not kept (see
# docs/benchmarks.md, "Search 5"): it kept the estimate within 0.2 points on
# average and cost 0.2-0.4x the fixed-quality CPU more.
MARGIN = {"jpeg": 2.0, "webp": 3.0, "avif": -1.5}
# Stop when the lowest passing and highest failing quality are this close.
TOLERANCE = {"jpeg": 3, "webp": 3, "avif": 3}
# Each encode of the proxy costs a decode and a score (about 20 ms at 96-128K
# pixels) and for AVIF an encode of about 25 ms: two keep the search near
# 0.4x the fixed-quality CPU.
MAX_PROBES = {"jpeg": 2, "webp": 2, "avif": 2}
# When no encode passed but the best fell at most RESCUE_POINTS short, one
# more step before the ceiling, which costs the most bytes; further short,
# the ceiling is likely what meets the target anyway.
RESCUE = 1
RESCUE_POINTS = 2.0
# The proxy: at most this many pixels, as square tiles of TILE pixels. With
# 64 px tiles, or 32K pixels, the proxy's score strayed 10-16 points from the
# whole image's on the benchmark photos; 128 px tiles and 128K pixels kept
# within 1 (bench/calibrate_quality.py). JPEG's 96K pixels (six tiles of a
# 16:9 image, in two rows) saved more bytes than 128K within the same rule on
# both sets of photos (docs/benchmarks.md, "Search 5").
PROXY_PIXELS = {"jpeg": 96 * 1024, "webp": 128 * 1024, "avif": 128 * 1024}
TILE = 128
# Up to this many pixels the search probes the image itself, not a proxy:
# PROXY_PIXELS, and for WebP more. libwebp shares its quantisers among
# segments of blocks it clusters over the whole image, so tiles encoded on
# their own strayed from their own place in the whole encode (on the 12
# benchmark photos' 640w WebPs by -6.6 to +2.4 points; docs/benchmarks.md,
# search 6); probing the whole image also saves the final encode, which its
# passing probe already is. An image probed whole adds no MARGIN.
WHOLE_PIXELS = {
    "jpeg": PROXY_PIXELS["jpeg"],
    "webp": 448 * 1024,
    "avif": PROXY_PIXELS["avif"],
}
# WebP and AVIF predict each block from its neighbours and filter across
# them, so a tile's edges cost them more than a JPEG's: their tiles are
# larger. With 128 px tiles an AVIF proxy scored 1.9 points under its
# rendition on average and up to 18, with 256 px ones +0.1 (RMS 0.9). AVIF
# encodes cost 20x JPEG's per pixel: the engine encodes its proxies at a
# faster speed (``draft``, encoding.encode.AVIF_DRAFT_SPEED).
TILES = {"jpeg": TILE, "webp": 256, "avif": 256}
# When nothing probed met the target, not even the ceiling, the search tries
# the caller's ``alternate`` encoder this many qualities under the ceiling:
# WebP's sharp YUV, which costs about 7% more bytes at equal quality (a
# quality above libwebp's knee costs 4-5%) but can score 5 points more on
# edges between saturated colours. It is kept if it scores at least what the
# ceiling's encode of the proxy scored (which missed the target) in no more
# bytes: better looking and lighter than the ceiling, whether or not it meets
# the target (until search 10 it had to meet it; on the held-out photos that
# kept safelanding's 1920w WebP at the ceiling, 334 KB scoring 63.1 where
# sharp YUV at 78 scores 65.8 in 317 KB; docs/benchmarks.md, search 10).
ALTERNATE_BELOW = 2


@dataclasses.dataclass(frozen=True)
class Choice:
    """The quality chosen, its score, and the encoded image if already made."""

    quality: int
    score: float
    data: bytes | None
    probes: int
    alternate: bool = False


def meets(score: float, target: int, fmt: str, pixels: int | None = None) -> bool:
    """Tell whether a choice's ``score`` counts as meeting ``target``, for an
    image of ``pixels`` (None: one searched on a proxy).

    The search's own bar (``_bar``) but never above the target: a proxied
    AVIF's score is its proxy's, which under-estimates the rendition, and the
    search takes it from MARGIN["avif"] under the target; WebP's and JPEG's
    margins are what a proxy must clear, not what its score shown must.
    """
    return score >= min(target, _bar(target, fmt, pixels))


def _bar(target: float, fmt: str, pixels: int | None) -> float:
    """Return the score a probe must reach: the target for an image searched
    whole (its score is the rendition's own), the target and MARGIN for a
    proxy."""
    if pixels is not None and pixels <= WHOLE_PIXELS.get(fmt, 0):
        return target
    return target + MARGIN.get(fmt, 0.0)


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
    ceiling: int = 100,
    draft: Callable[[Image.Image, int], bytes] | None = None,
    alternate: Callable[[Image.Image, int], bytes] | None = None,
) -> Choice:
    """Return the lowest quality whose ``encode`` of ``image`` scores ``target``.

    ``ceiling`` caps the quality: a preset's own quality, so that a target
    costs no more bytes than the fixed quality would have (give or take what
    ``encode`` does differently at the same quality: the engine's JPEG tables
    can weigh a little more there), and where that quality scores under the
    target, the rendition looks about as it did.

    ``encode(image, quality)`` must encode as the final output will be; it is
    called on the proxy only, except when the proxy is the whole image, whose
    passing encode is returned as ``data``. ``draft``, if given, encodes the
    proxy instead when it is not the whole image: a faster encoder setting
    whose output scores about the same (encoding.encode.AVIF_DRAFT_SPEED).
    ``alternate``, if given, is a second way to encode as the final output
    would, tried only when nothing else met the target (ALTERNATE_BELOW) and
    kept where it scores at least the ceiling's encode in no more bytes; the
    choice then says ``alternate``.
    """
    lo, hi = QUALITY_RANGE[fmt]
    hi = min(hi, ceiling)
    lo = min(lo, hi)
    pixels = image.width * image.height
    whole = pixels <= WHOLE_PIXELS[fmt]
    small = image if whole else proxy(image, PROXY_PIXELS[fmt], TILES[fmt])
    reference = ssimulacra.Reference(flatten(small, background))
    scores: dict[int, float] = {}
    sizes: dict[int, int] = {}
    kept: dict[int, bytes] = {}

    coder = encode if whole or draft is None else draft

    def probe(quality):
        data = coder(small, quality)
        scores[quality] = _score(reference, data, background)
        sizes[quality] = len(data)
        if whole:
            kept[quality] = data
        return scores[quality]

    start = round(START[fmt] + START_SLOPE * (target - DEFAULT_TARGET))
    target = _bar(target, fmt, pixels)
    quality = min(hi, max(lo, start))
    probe(quality)
    while True:
        passing = [q for q, s in scores.items() if s >= target]
        failing = [q for q, s in scores.items() if s < target]
        best = min(passing, default=None)
        worst = max(failing, default=None)
        near = not passing and target - scores[worst] <= RESCUE_POINTS
        if len(scores) >= MAX_PROBES[fmt] + (RESCUE if near else 0):
            break
        if best is not None and worst is not None and best - worst <= TOLERANCE[fmt]:
            break
        if best == lo or worst == hi:
            break
        quality = _next(scores, target, best, worst, lo, hi, fmt)
        if quality in scores:
            break
        probe(quality)
    passing = [q for q, s in scores.items() if s >= target]
    if not passing:
        # Nothing probed reached the target: the highest quality allowed.
        if hi not in scores:
            probe(hi)
        quality = max(lo, hi - ALTERNATE_BELOW)
        if alternate is not None and quality < hi:
            data = alternate(small, quality)
            score = _score(reference, data, background)
            if score >= scores[hi] and len(data) <= sizes[hi]:
                return Choice(
                    quality, round(score, 1), data if whole else None,
                    len(scores) + 1, alternate=True,
                )  # fmt: skip
        passing = [hi]
    chosen = min(passing)
    return Choice(chosen, round(scores[chosen], 1), kept.get(chosen), len(scores))


def _next(scores, target, best, worst, lo, hi, fmt) -> int:
    """Return the next quality to probe: between the bracket, or a step beyond.

    Slopes are per unit of ``_units``: for WebP, qualities as libwebp's scale
    below its knee at 75.
    """
    units = {q: _units(fmt, q) for q in scores}
    if best is not None and worst is not None:
        # Secant between the bracket's ends, kept strictly inside it.
        s_best, s_worst = scores[best], scores[worst]
        slope = max((s_best - s_worst) / (units[best] - units[worst]), 1e-3)
        guess = _quality(fmt, units[worst] + (target - s_worst) / slope)
        return min(best - 1, max(worst + 1, math.ceil(guess)))
    quality, score = min(scores.items(), key=lambda qs: abs(qs[1] - target))
    ordered = sorted(scores.items())
    slope = SLOPE[fmt]
    if len(ordered) >= 2:
        (q1, s1), (q2, s2) = ordered[0], ordered[-1]
        slope = max((s2 - s1) / (units[q2] - units[q1]), 0.1)
    step = (target - score) / slope
    past = OVERSHOOT if step > 0 else SHORT_OF[fmt]
    if len(ordered) == 1:
        # The first step goes past the estimate in units: above WebP's knee
        # two qualities are 6 units, about 2.4 points more than needed.
        estimate = _quality(fmt, units[quality] + step + past)
    else:
        # A rescue, the last step before the ceiling, goes past in
        # qualities: 2 units there fell short more often, which costs the
        # ceiling (docs/benchmarks.md, search 9).
        estimate = _quality(fmt, units[quality] + step) + past
    return min(hi, max(lo, round(estimate)))


def _units(fmt: str, quality: float) -> float:
    """Return ``quality`` on a scale where the encoder's quantiser moves evenly.

    libwebp maps quality to its compression factor piecewise: a quality
    above 75 moves it 3 times as far as one below (``QualityToCompression``
    in its src/enc/quant_enc.c), so a WebP's score climbs about 3 times as
    fast per quality there. WebP's units are qualities below 75.
    """
    if fmt == "webp" and quality > WEBP_KNEE:
        return WEBP_KNEE + 3 * (quality - WEBP_KNEE)
    return quality


def _quality(fmt: str, units: float) -> float:
    """Return the quality at ``units`` (the inverse of ``_units``)."""
    if fmt == "webp" and units > WEBP_KNEE:
        return WEBP_KNEE + (units - WEBP_KNEE) / 3
    return units


def proxy(image: Image.Image, pixels: int, tile: int = TILE) -> Image.Image:
    """Return tiles of ``image`` spread over it, at full resolution, side by side.

    About ``pixels`` in all, as a grid shaped like the image; each tile is
    taken from the middle of its cell, its corner on the 16 px grid that JPEG
    MCUs and WebP macroblocks use (at the edges too), so that a JPEG tile
    encodes as it does in place.
    """
    width, height = image.size
    if width < tile or height < tile or width * height <= pixels:
        return image
    count = max(1, pixels // (tile * tile))
    cols = max(1, min(width // tile, round(math.sqrt(count * width / height))))
    rows = max(1, min(height // tile, count // cols))
    out = Image.new(image.mode, (cols * tile, rows * tile))
    for row in range(rows):
        for col in range(cols):
            x = int((col + 0.5) * width / cols - tile / 2) // 16 * 16
            y = int((row + 0.5) * height / rows - tile / 2) // 16 * 16
            x = min(max(x, 0), (width - tile) // 16 * 16)
            y = min(max(y, 0), (height - tile) // 16 * 16)
            piece = image.crop((x, y, x + tile, y + tile))
            out.paste(piece, (col * tile, row * tile))
    return out


def _score(reference: ssimulacra.Reference, data: bytes, background: str) -> float:
    """Return the score of encoded ``data`` against ``reference``."""
    with Image.open(io.BytesIO(data)) as decoded:
        return reference.score(flatten(decoded, background))
