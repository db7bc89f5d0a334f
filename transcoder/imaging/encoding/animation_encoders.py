"""Encode an animation frame by frame: libwebp's and libavif's sequence
encoders through Pillow, fed each frame as ``animation.render`` makes it.

No Django. ``Image.save(save_all=True)`` needs every frame at once (or an
image that seeks to them); these take frames as they are made, so memory
holds one frame per rendition whatever the length.
"""

from PIL import Image

from transcoder.imaging.encoding import avif
from transcoder.imaging.resize import cascade

# Changing what this module writes (these constants, the encoders' settings)
# changes the bytes under a name: bump specs.ANIMATION_VERSION with it.

# AVIF's speed for animations. 320w AVIF per source frame, one thread, 2
# loaded cores (MEDIAHUB_BENCH_AVIF_SPEEDS=6,7,8,9 python -m
# bench.bench_animation; docs/benchmarks.md): speed 6, the stills' setting,
# took 2-9x speed 8's CPU (13-94 ms a frame against 6-22), for 43-64% fewer
# bytes on four of six sources but 2% and 16% more on the other two; 7 is no
# smaller than 8, and 9 is 5-14% larger. At speed 6 the starter presets
# would need most of Lambda's 300 s for an animation at the pixel-time limit.
# Speed 6 with a lower MAX_ANIMATION_PIXELS is the lever if AVIF bytes matter
# more than that (bump specs.ANIMATION_VERSION with it).
AVIF_ANIMATION_SPEED = 8
# Frames between WebP key frames. libwebp tries every frame from KMIN on both
# as a key frame and as a change to the last, which costs a second encode;
# browsers never seek, so key frames only cost bytes. These are libvips'
# defaults (never a key frame after the first); gif2webp's are 3 and 5, which
# measured 1.7x the bytes and 1.3-1.5x the CPU on chi.gif, 1.17x and 1.4x on
# iss634.webp (MEDIAHUB_BENCH_WEBP_KEYFRAMES=3:5 python -m
# bench.bench_animation; docs/benchmarks.md).
WEBP_KMIN = 2**31 - 2
WEBP_KMAX = 2**31 - 1


class _WebP:
    """libwebp's animation encoder through Pillow, fed one frame at a time
    (the loop of Pillow's ``_save_all``)."""

    def __init__(self, step: cascade.Step, loop: int, method: int):
        self.quality = step.spec.quality
        self.method = method
        from PIL import _webp

        # Transparent background, no minimize_size, no mixed lossy/lossless,
        # quiet: Pillow's WebP _save_all defaults but the key frames.
        self.encoder = _webp.WebPAnimEncoder(
            step.size, 0, loop, False, WEBP_KMIN, WEBP_KMAX, False, False
        )

    def add(self, frame: Image.Image, timestamp: int, duration: int) -> None:
        self.encoder.add(
            frame.getim(), timestamp, False, self.quality, 100, self.method
        )

    def finish(self, timestamp: int) -> bytes:
        self.encoder.add(None, timestamp, False, self.quality, 100, 0)
        data = self.encoder.assemble(b"", b"", b"")
        if data is None:
            raise OSError("The WebP encoder returned nothing.")
        return data


class _Avif:
    """libavif's sequence encoder through Pillow, fed one frame at a time."""

    def __init__(self, step: cascade.Step, alpha: bool):
        from PIL import AvifImagePlugin, _avif

        self.mode = "RGBA" if alpha else "RGB"
        # Pillow's AVIF _save arguments: 4:2:0, full range, automatic tiling,
        # no metadata.
        self.encoder = _avif.AvifEncoder(
            step.size,
            "4:2:0",
            step.spec.quality,
            AVIF_ANIMATION_SPEED,
            AvifImagePlugin._get_default_max_threads(),
            "auto",
            "full",
            0,
            0,
            False,
            True,
            b"",
            b"",
            1,
            b"",
            None,
        )

    def add(self, frame: Image.Image, timestamp: int, duration: int) -> None:
        if frame.mode != self.mode:
            frame = frame.convert(self.mode)
        self.encoder.add(frame.tobytes("raw", self.mode), duration, frame.size,
                         self.mode, False)  # fmt: skip
        avif.settle()

    def finish(self, timestamp: int) -> bytes:
        data = self.encoder.finish()
        avif.settle()
        if data is None:
            raise OSError("The AVIF encoder returned nothing.")
        return data


def frame_encoder(step: cascade.Step, alpha: bool, loop: int, webp_method: int):
    """Return the frame-by-frame encoder of one step's format."""
    if step.spec.format == "webp":
        return _WebP(step, loop, webp_method)
    return _Avif(step, alpha)
