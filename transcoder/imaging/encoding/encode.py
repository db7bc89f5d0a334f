"""Encode a rendition's pixels with Pillow's encoders, and their settings.

No Django. JPEG, PNG and WebP through Pillow; AVIF through Pillow's own
libavif with its exact RGB to YUV conversion (``avif``), Pillow's plugin
where that path is not available. No metadata is written.
"""

import io

from PIL import Image

from transcoder.imaging.decode.colour import flatten
from transcoder.imaging.encoding import avif, webp
from transcoder.imaging.resize.cpus import default_threads
from transcoder.imaging.specs import RenditionSpec

# Encoder settings, from bytes-versus-time curves measured on the benchmark
# photos at quality 80 (bytes relative to pyvips at matched effort, CPU ms of
# one 800 px AVIF or 1920 px WebP; `python -m bench.bench_engine` compares):
#   AVIF speed 6: 1.01x bytes, 150 ms | 7: 1.05x, 80 ms | 8: 1.09x, 42 ms |
#        9: 1.17x, 15 ms. Speed 6 keeps the bytes within 3% of libvips'
#        effort 3 (its own speed 6); 7 would save 70 ms an asset for 4.8%
#        more bytes. Pillow's plugin converts RGB to YUV with libyuv's 7-bit
#        fixed point, 0.3 SSIMULACRA2 points under libvips at equal bytes;
#        ``avif`` calls the same libavif with its exact conversion instead
#        (parity, same CPU: ``python -m bench.bench_avif``). Sharp YUV scored
#        +0.5 decoded by libavif but -0.8 by libheif, for 28% more CPU.
#        aom's intra block copy (meant for screen content) took a third more
#        CPU than libvips' encode on some photos, for no score at equal
#        bytes, so it is off (AVIF_OPTIONS).
#   WebP method 0: 1.40x bytes, 36 ms | 2: 1.04-1.08x, 60 ms | 3: 1.00x, 120-
#        190 ms (0.1 dB less PSNR) | 4: 1.00x, 120-210 ms | 5: 0.94-1.00x,
#        135-240 ms. Method 4 is libvips' default and gives its exact bytes;
#        the largest WebP is the longest step of an asset, so 5's 10% more
#        time there costs the asset 10% too.
#   JPEG: progressive needs optimised Huffman tables anyway; encoding is under
#        5% of the time, so there is nothing to trade.
#   PNG (a 2048 px photo): optimize 3.4 s, 2.46 MB | level 9 2.8 s, 2.58 MB |
#        level 6 0.9 s, 2.64 MB. PNG is chosen for bytes-exact graphics, so
#        optimize stays and specs.py caps PNG at 2560 px instead.
AVIF_SPEED = 6
# libavif's own threads follow the CPU quota (default_threads), not Pillow's
# default of one per core: on Lambda at 2,048 MB (1.16 vCPU, two cores seen)
# a second aom thread would only compete for the share. One thread always
# saved 4-6% of an AVIF's CPU (an 800 px one: 410 against 435 ms) but made it
# the long pole of an asset: one asset alone took 13% longer on 2 cores
# (`python -m bench.bench_engine`, engine / pyvips 0.78x against 0.88x).
# aom's intra block copy is a tool for screen content; off, photos encode
# faster at the same bytes and score (bench/bench_avif.py).
AVIF_OPTIONS = {"enable-intrabc": "0"}
# Auto-quality's proxies of AVIF renditions (never output) encode at speed 9:
# 2.6x faster than 8 (which is 3.3x faster than 6). Against the 800w AVIF at
# speed 6, the 12 photos' proxies at qualities 40-80 scoring 55-80 (a
# one-off script, runtime metric) scored on average 0.81 under it at speed 8
# (at most 1.46 over) and 1.45 under at speed 9 (at most 1.09 over), so the
# search errs towards quality; autoquality.MARGIN["avif"] follows.
AVIF_DRAFT_SPEED = 9
WEBP_METHOD = 4
# Auto-quality's WebPs (``tuned``) are made at method 5, its proxies
# (``draft``) at 4. At the qualities a target of 65 chose, method 5's
# trellis quantisation scored about as 4 did (the 12 photos' 1920w WebPs:
# -1.4 to +1.7, +0.1 on average; a one-off script, runtime metric) and its
# bytes moved by +3.1% to -6.5% a photo: the held-out photos' 1920w WebPs
# 564 KB at 4, 537 KB at 5 (6: 523 KB), the calibration photos' 688 and
# 685 KB; the 640w WebPs -4.6% and -2.8%. It costs a 1920w WebP 0-50 ms (6:
# 100-260 ms) and a 640w one about 2 ms. Making the proxies at 5 too (an
# earlier search) cost 0.07x of the CPU per upload, for scores that barely
# move. Where a WebP is probed whole, its probes are method 5's, its output.
WEBP_TUNED_METHOD = 5
# JPEG quantisation for auto-quality: Klein, Silverstein and Carney's table
# ("Relevance of human vision to JPEG-DCT compression", 1992; one of
# MozJPEG's table sets), for luma and chroma alike, scaled by quality as
# libjpeg scales its own (Annex K) tables. At equal SSIMULACRA2 (the
# package's) its 1280w JPEGs took 15% fewer bytes at score 65 and 11-12% at
# 70-75 (4 calibration and 4 held-out photos; the held-out ones alone 15%).
# ImageMagick's table (MozJPEG's default) saved 8%, the MS-SSIM-tuned one 13%;
# Klein's luma with coarser or finer chroma (x0.7 to x2, or Annex K's) less.
# A fixed quality keeps libjpeg's tables: its bytes are what "quality 80"
# means elsewhere (libvips, Photoshop, browsers' canvas). The qualities a
# target chooses are on this table's scale.
PERCEPTUAL_TABLE = (
    10, 12, 14, 19, 26, 38, 57, 86,
    12, 18, 21, 28, 35, 41, 54, 76,
    14, 21, 25, 32, 44, 63, 92, 136,
    19, 28, 32, 41, 54, 75, 107, 157,
    26, 35, 44, 54, 70, 95, 132, 190,
    38, 41, 63, 75, 95, 125, 170, 239,
    57, 54, 92, 107, 132, 170, 227, 312,
    86, 76, 136, 157, 190, 239, 312, 419,
)  # fmt: skip


def perceptual_tables(quality: int) -> list[list[int]]:
    """Return JPEG's luma and chroma tables at ``quality`` (PERCEPTUAL_TABLE),
    scaled as libjpeg's ``jpeg_set_quality`` scales its own, baseline (1-255)."""
    quality = min(100, max(1, quality))
    percent = 5000 // quality if quality < 50 else 200 - 2 * quality
    table = [min(255, max(1, (v * percent + 50) // 100)) for v in PERCEPTUAL_TABLE]
    return [table, list(table)]


def encode(
    image: Image.Image,
    spec: RenditionSpec,
    quality: int | None = None,
    tuned: bool = False,
    draft: bool = False,
    sharp: bool = False,
) -> bytes:
    """Encode ``image`` for ``spec`` (at ``quality`` if given) without metadata.

    ``tuned``: encode as auto-quality does, for the fewest bytes at a score
    rather than what the quality means elsewhere: a JPEG is quantised with
    ``perceptual_tables`` instead of libjpeg's.
    ``draft``: a faster encode that scores about the same, for auto-quality's
    proxies: AVIF at AVIF_DRAFT_SPEED, WebP at WEBP_METHOD, not
    WEBP_TUNED_METHOD.
    ``sharp``: a WebP's chroma made with libwebp's sharp YUV (see ``webp``;
    Pillow's plain conversion where that module cannot work).
    """
    try:
        return _encode(image, spec, quality or spec.quality, tuned, draft, sharp)
    finally:
        if spec.format == "avif":
            avif.settle()  # libaom leaves this thread's SSE code slow


def _encode(
    image: Image.Image,
    spec: RenditionSpec,
    quality: int,
    tuned: bool,
    draft: bool,
    sharp: bool,
) -> bytes:
    avif_speed = AVIF_DRAFT_SPEED if draft else AVIF_SPEED
    webp_method = WEBP_TUNED_METHOD if tuned and not draft else WEBP_METHOD
    if spec.format == "jpeg" and image.mode == "RGBA":
        image = flatten(image, spec.background)
    image.info = {}
    if spec.format == "avif" and (
        made := avif.encode(
            image,
            quality,
            avif_speed,
            max_threads=default_threads(),
            options=AVIF_OPTIONS,
        )
    ):
        return made  # libavif's exact RGB to YUV, not libyuv's (see avif)
    if (
        spec.format == "webp"
        and sharp
        and (made := webp.encode(image, quality, webp_method, sharp_yuv=True))
    ):
        return made
    options = {
        # Halved chroma is invisible in photos except at near-lossless quality.
        "jpeg": dict(quality=quality, optimize=True, progressive=True,
                     subsampling="4:4:4" if quality >= 90 else "4:2:0"),
        "png": dict(optimize=True),
        "webp": dict(quality=quality, method=webp_method),
        "avif": dict(quality=quality, speed=avif_speed,
                     max_threads=default_threads(), advanced=AVIF_OPTIONS),
    }  # fmt: skip
    if spec.format == "jpeg" and tuned:
        # Pillow scales given tables by ``quality`` as a percentage: leave it out.
        del options["jpeg"]["quality"]
        options["jpeg"]["qtables"] = perceptual_tables(quality)
    buffer = io.BytesIO()
    image.save(buffer, spec.format.upper(), **options[spec.format])
    return buffer.getvalue()
