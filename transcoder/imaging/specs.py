"""Rendition specs: what a preset asks for, validated up front, with a stable digest.

This module imports no Django, so the engine and the tests can use it anywhere.
"""

import dataclasses
import enum
import hashlib
import json
import re

from transcoder.imaging.edits import EditError, Recipe
from transcoder.imaging.messages import MessageError
from transcoder.imaging.messages import gettext_noop as _
from transcoder.imaging.quality.autoquality import MAX_TARGET, MIN_TARGET, target_error

# Bump when the engine's output for the same spec changes, so every rendition
# gets a new content-addressed name instead of silently changing under an old one.
# 2: outputs cascade from larger ones (resize.cascade.CASCADE_MIN); WebP method 5.
# 3: WebP method 4 and AVIF speed 6, libvips' settings (engine.py); the first
#    resize in strips (resize/cascade.py).
# Animated WebP and AVIF (imaging.encoding.animation) did not bump it: they are new
# specs (``animated``), with digests of their own.
# 4: AVIF converts RGB to YUV with libavif's exact path, not libyuv (encoding/avif.py).
# 5: the resizes run in libvips (LANCZOS3, resize/libvips.py), stills and animations.
ENGINE_VERSION = 5
# Bump when auto-quality's search (imaging.quality.autoquality) chooses differently:
# it is in the digests of specs with a target only, so fixed-quality
# renditions keep their names. 1 (not in digests): three encodes of the proxy.
# 2: two encodes, starts and slopes per format, AVIF proxies at a draft speed.
# 3: a narrow JPEG pass checked on a second proxy; tiles on the 16 px grid at
#    the edges too.
# 4: JPEGs quantised with perceptual tables (encoding.encode.PERCEPTUAL_TABLE); the
#    JPEG search's start and margin moved to them; AVIF's margin -1.
# 5: the metric's weights and blur mended, an image up to WHOLE_PIXELS
#    searched whole without the margin (these two changed choices without a
#    bump), after a pass WebP's and AVIF's step down stops short of the
#    slope's estimate, and WebP's steps follow libwebp's knee at quality 75
#    (docs/benchmarks.md, searches 5-7).
# 6: a WebP that misses the target even at the ceiling may be encoded with
#    sharp YUV a little under it (autoquality.ALTERNATE_BELOW; search 8).
# 7: WebPs for a target made at method 5 (a whole image's probes too), AVIF
#    proxies at speed 9 with a margin of -1.5, the first step past its
#    estimate in libwebp's units (search 9).
# 8: sharp YUV kept where it scores at least the ceiling in no more bytes,
#    whether or not it meets the target (search 10).
SEARCH_VERSION = 8
# Bump when imaging.encoding.animation's output changes (its AVIF speed, the frame
# timing rule): it is in animated specs' digests only, so stills keep theirs.
ANIMATION_VERSION = 1

MAX_DIMENSION = 8192
MAX_WIDTHS = 12


class SpecError(MessageError):
    """A preset asks for something the engine cannot or will not build."""


class Fit(enum.StrEnum):
    COVER = "cover"
    CONTAIN = "contain"


@dataclasses.dataclass(frozen=True)
class OutputFormat:
    name: str
    ext: str
    mime: str
    label: str
    # The longest side one output may have, so that no preset can ask for an
    # encode that takes minutes or most of a Lambda's memory. Measured on 2
    # shared cores from a 50 MP JPEG, peak RSS of the engine alone:
    #   PNG  (optimize) 2048 px 3.4 s CPU, 2.5 MB; 4096 px 33 s, 9.3 MB; one
    #        8192 px output took 36 s and 85 MB. Four at 2000-2560 px: 10 s,
    #        24 MB in all, 259 MB peak.
    #   AVIF (speed 7) 3072 px 9 s, 217 MB; two at once (3072 and 2800 px)
    #        359 MB. 4096 px 14 s, 350 MB; two at once 581 MB, over budget.
    #        At speed 6 the two at once take 10.6 s of CPU and 365 MB.
    #   WebP 5120 px 1.8 s;  JPEG 5120 px 0.4 s: both stay at 8192.
    max_side: int


FORMATS = {
    f.name: f
    for f in (
        OutputFormat("jpeg", "jpg", "image/jpeg", "JPEG", MAX_DIMENSION),
        OutputFormat("png", "png", "image/png", "PNG", 2560),
        OutputFormat("webp", "webp", "image/webp", "WebP", MAX_DIMENSION),
        OutputFormat("avif", "avif", "image/avif", "AVIF", 3072),
    )
}

# Output formats that keep an animated source's motion (imaging.encoding.animation).
MOVING_FORMATS = ("webp", "avif")

_HEX_COLOUR = re.compile(r"^#[0-9a-f]{6}$")
_SOURCE = re.compile(r"[0-9a-f]{0,16}")


def _is_int(value) -> bool:
    """Tell whether ``value`` is a whole number; ``True`` is not a size."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclasses.dataclass(frozen=True)
class RenditionSpec:
    """One output image: a box, how to fit the source into it, and an encoding.

    ``width``/``height`` bound the output; one may be ``None`` (free). ``cover``
    needs both and crops around ``focal`` (fractions of the upright source,
    0..1); ``contain`` fits inside the box. Neither ever upscales.
    """

    fit: Fit
    width: int | None
    height: int | None
    format: str
    quality: int = 80
    # A perceptual target (SSIMULACRA2 scale, see quality.autoquality): each output
    # gets the lowest quality that meets it, ``quality`` at most. None (fixed
    # quality) is left out of the digest, so existing digests stay.
    target: int | None = None
    focal: tuple[float, float] | None = None
    background: str = "#ffffff"
    # The short content hash of a replaced original (Asset.spec_source): it
    # gives a replaced file new rendition names. Empty for a first original,
    # and then left out of the digest, so existing digests never change.
    source: str = ""
    # The key of the asset's edit (imaging.edits.Recipe.key): a rotated, flipped
    # or cropped picture gets new rendition names. Empty for no edit, and then
    # left out of the digest, so existing digests never change.
    edit: str = ""
    # Every frame of an animated source, not the first alone (see
    # imaging.encoding.animation); only WebP and AVIF can move, so other formats drop
    # it. Left out of the digest when False, so still digests never change.
    animated: bool = False

    def __post_init__(self):
        try:
            fit = Fit(self.fit)
        except ValueError:
            choices = ", ".join(Fit)
            raise SpecError(
                _("Unknown fit %(fit)r; use one of %(choices)s."),
                fit=self.fit,
                choices=choices,
            ) from None
        object.__setattr__(self, "fit", fit)
        for side in ("width", "height"):
            value = getattr(self, side)
            if value is not None and not (
                _is_int(value) and 1 <= value <= MAX_DIMENSION
            ):
                raise SpecError(
                    _("The width must be a whole number of pixels from 1 to %(max)s.")
                    if side == "width"
                    else _(
                        "The height must be a whole number of pixels from 1 to %(max)s."
                    ),
                    max=MAX_DIMENSION,
                )
        if self.width is None and self.height is None:
            raise SpecError(_("Give a width, a height or both."))
        if fit is Fit.COVER and (self.width is None or self.height is None):
            raise SpecError(_("A cover crop needs both a width and a height."))
        if not isinstance(self.format, str) or self.format not in FORMATS:
            choices = ", ".join(FORMATS)
            raise SpecError(
                _("Unknown format %(format)r; use one of %(choices)s."),
                format=self.format,
                choices=choices,
            )
        output = FORMATS[self.format]
        if max(self.width or 0, self.height or 0) > output.max_side:
            raise SpecError(
                _(
                    "%(format)s renditions can be at most %(max)s pixels wide and "
                    "high; choose a smaller size, or JPEG or WebP for a larger one."
                ),
                format=output.label,
                max=output.max_side,
            )
        if self.target is not None and target_error(self.target):
            raise SpecError(
                _("The target must be a whole number from %(min)s to %(max)s."),
                min=MIN_TARGET,
                max=MAX_TARGET,
            )
        if self.target is not None and self.format == "png":
            # PNG is lossless: it has no quality to choose.
            object.__setattr__(self, "target", None)
        if not (_is_int(self.quality) and 1 <= self.quality <= 100):
            raise SpecError(_("The quality must be a whole number from 1 to 100."))
        if not (
            isinstance(self.background, str)
            and _HEX_COLOUR.match(self.background.lower())
        ):
            raise SpecError(_("The background must be a colour like #ffffff."))
        if not (isinstance(self.source, str) and _SOURCE.fullmatch(self.source)):
            raise SpecError("The source must be up to 16 hex digits.")
        if not isinstance(self.edit, str):
            raise SpecError("The edit must be a recipe's key.")
        try:
            Recipe.from_key(self.edit)
        except EditError as e:
            raise SpecError(e.message) from None
        # One colour, one digest: "#FFFFFF" and "#ffffff" are the same output.
        object.__setattr__(self, "background", self.background.lower())
        object.__setattr__(
            self, "animated", self.animated is True and self.format in MOVING_FORMATS
        )
        if fit is Fit.COVER and self.focal is not None:
            try:
                x, y = (float(v) for v in self.focal)
            except (TypeError, ValueError):
                raise SpecError(
                    _("The focal point must be two fractions from 0 to 1.")
                ) from None
            if not (0 <= x <= 1 and 0 <= y <= 1):
                raise SpecError(_("The focal point must lie inside the image."))
            object.__setattr__(self, "focal", (round(x, 4), round(y, 4)))
        else:
            # Only a crop looks at the focal point; leaving it out of other specs
            # keeps their digest (and so their stored name) when it moves.
            object.__setattr__(self, "focal", None)

    @property
    def output(self) -> OutputFormat:
        return FORMATS[self.format]

    @property
    def digest(self) -> str:
        """Return a short stable hash of everything that shapes the output bytes."""
        return self.digest_for(ENGINE_VERSION)

    @property
    def earlier_digests(self) -> list[str]:
        """Return the digests this spec had under earlier engines (and, with a
        target, earlier searches), newest first.

        A rendition stored under one of them is this spec built by an older
        engine: still current and served, until something rebuilds it. An
        animated spec was a still before engines kept motion, so its still
        twin's digests count too.
        """
        # Newest first, this one first of all (a fixed-quality spec's digest
        # has no search in it).
        searches = range(SEARCH_VERSION, 0, -1) if self.target else [SEARCH_VERSION]
        names = [
            self.digest_for(engine, search)
            for engine in range(ENGINE_VERSION, 0, -1)
            for search in searches
        ]
        earlier = names[1:]
        if self.animated:
            still = dataclasses.replace(self, animated=False)
            earlier += [still.digest_for(v) for v in range(ENGINE_VERSION, 0, -1)]
        return earlier

    def digest_for(self, engine: int, search: int = SEARCH_VERSION) -> str:
        """Return the digest this spec has under engine version ``engine`` (and
        auto-quality's search version ``search``, if it has a target)."""
        payload = dataclasses.asdict(self) | {"engine": engine}
        payload["fit"] = str(self.fit)
        if not self.source:
            del payload["source"]
        if not self.edit:
            del payload["edit"]
        if self.animated:
            payload["animated"] = ANIMATION_VERSION
        else:
            del payload["animated"]
        if self.target is None:
            del payload["target"]
        elif search > 1:
            payload["search"] = search
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def target_size(self, src_width: int, src_height: int) -> tuple[int, int]:
        """Return the output size for an upright source of the given size."""
        if self.fit is Fit.COVER:
            scale = min(1.0, max(self.width / src_width, self.height / src_height))
            if scale == 1.0:
                # Too small to fill the box: keep the box's shape, never upscale.
                ratio = self.width / self.height
                w = min(src_width, round(src_height * ratio))
                h = min(src_height, round(w / ratio))
                return max(1, w), max(1, h)
            return self.width, self.height
        # A free side is still bounded by the format's longest side.
        cap = self.output.max_side
        scales = [
            1.0,
            (self.width or cap) / src_width,
            (self.height or cap) / src_height,
        ]
        scale = min(scales)
        return max(1, round(src_width * scale)), max(1, round(src_height * scale))


def build_specs(
    *,
    fit,
    width=None,
    height=None,
    widths=(),
    formats=("jpeg",),
    quality=80,
    target=None,
    focal=None,
    background="#ffffff",
) -> list[RenditionSpec]:
    """Expand a preset into its specs: one per width and output format.

    ``widths`` makes a responsive preset: each width keeps the aspect ratio
    of ``width`` x ``height`` when both are given.
    """
    widths = list(widths or ())
    if len(widths) > MAX_WIDTHS:
        raise SpecError(_("A preset can have at most %(max)s widths."), max=MAX_WIDTHS)
    if len(set(widths)) != len(widths):
        raise SpecError(_("The widths must not repeat."))
    if not formats:
        raise SpecError(_("Choose at least one output format."))
    if len(set(formats)) != len(formats):
        raise SpecError(_("The formats must not repeat."))
    if widths:
        for w in widths:
            if not (_is_int(w) and 1 <= w <= MAX_DIMENSION):
                raise SpecError(
                    _("Each width must be a whole number of pixels from 1 to %(max)s."),
                    max=MAX_DIMENSION,
                )
        base_width = width or max(widths)
        sizes = [
            (w, max(1, round(w * height / base_width)) if height else None)
            for w in sorted(widths)
        ]
    else:
        sizes = [(width, height)]
    return [
        RenditionSpec(
            fit=fit,
            width=w,
            height=h,
            format=fmt,
            quality=quality,
            target=target,
            focal=focal,
            background=background,
        )
        for w, h in sizes
        for fmt in formats
    ]
