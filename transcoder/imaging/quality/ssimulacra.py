"""SSIMULACRA2, rebuilt from Pillow's float images: no numpy, no scipy.

The structure and the 108 weights are SSIMULACRA2's (libjxl's
tools/ssimulacra2.cc, as the ``ssimulacra2`` package ports it): sRGB to
linear light to XYB, six scales halved in linear light, and at each scale and
XYB plane an SSIM map without its luminance term and two edge maps (ringing
added, detail lost), each pooled as a mean and a 4-norm. The Gaussian blur
(sigma 1.5) pads the left and right edges with zeros, as the package does.
Two things differ, to stay cheap in pure Pillow: the blur itself is a
bilinear shrink by BLUR_FACTOR and bilinear enlarge back, and sRGB decoding
uses its power curve throughout (the linear toe differs by under 0.1% of full
scale). ``bench/calibrate_quality.py`` measures what that costs against the
package on the benchmark photos.
"""

import functools

from PIL import Image

from transcoder.imaging.quality.planes import evaluate as _eval

_C2 = 0.0009
_SCALES = 6
_M = (
    (0.30, 0.622, 0.078),
    (0.23, 0.692, 0.078),
    (0.24342268924547819, 0.20476744424496821, 0.55180986650955360),
)
_BIAS = 0.0037930732552754493
_BIAS_CBRT = _BIAS ** (1 / 3)
# Shrinking by BLUR_FACTOR and enlarging back, both bilinear, spreads a pixel
# about as far as a Gaussian of sigma 1.5. Against the package on 30 encodes
# (1280w JPEGs and 640w WebPs of five calibration photos, a one-off script),
# with the zeros below: 2.6 scored 0.29 under it on average, 2.7 0.14 under
# (RMS 0.21, never more than 0.03 over), 2.75 0.01 under but up to 0.26 over.
# Without the zeros, 2.5 scored 0.96 under.
BLUR_FACTOR = 2.7
# The package blurs with scipy over zeros beyond the left and right edges
# (its planes are transposed: it pads their first axis) out to its radius,
# round(3.2795 x 1.5 + 0.2546) px, and mirrors the top and bottom. Without the
# zeros this one scored about half a point under it.
BLUR_PAD = 5
# SSIMULACRA2's weights, in its order: plane, scale, norm (mean, 4-norm),
# then SSIM, ringing, detail lost.
WEIGHTS = (
    0.0, 0.0007376606707406586, 0.0, 0.0, 0.0007793481682867309, 0.0, 0.0,
    0.0004371155730107379, 0.0, 1.1041726426657346, 0.00066284834129271,
    0.00015231632783718752, 0.0, 0.0016406437456599754, 0.0, 1.8422455520539298,
    11.441172603757666, 0.0, 0.0007989109436015163, 0.000176816438078653, 0.0,
    1.8787594979546387, 10.94906990605142, 0.0, 0.0007289346991508072,
    0.9677937080626833, 0.0, 0.00014003424285435884, 0.9981766977854967,
    0.00031949755934435053, 0.0004550992113792063, 0.0, 0.0,
    0.0013648766163243398, 0.0, 0.0, 0.0, 0.0, 0.0, 7.466890328078848, 0.0,
    17.445833984131262, 0.0006235601634041466, 0.0, 0.0, 6.683678146179332,
    0.00037724407979611296, 1.027889937768264, 225.20515300849274, 0.0, 0.0,
    19.213238186143016, 0.0011401524586618361, 0.001237755635509985,
    176.39317598450694, 0.0, 0.0, 24.43300999870476, 0.28520802612117757,
    0.0004485436923833408, 0.0, 0.0, 0.0, 34.77906344483772, 44.835625328877896,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0008680556573291698, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0005313191874358747, 0.0, 0.00016533814161379112,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0004179171803251336, 0.0017290828234722833, 0.0,
    0.0020827005846636437, 0.0, 0.0, 8.826982764996862, 23.19243343998926, 0.0,
    95.1080498811086, 0.9863978034400682, 0.9834382792465353,
    0.0012286405048278493, 171.2667255897307, 0.9807858872435379, 0.0, 0.0,
    0.0, 0.0005130064588990679, 0.0, 0.00010854057858411537,
)  # fmt: skip


def _affine(plane: Image.Image, scale: float, offset: float = 0.0) -> Image.Image:
    """Return ``plane * scale + offset``: one pass (ImageMath fills an image per
    number it meets, then runs a second pass)."""
    return plane.point(lambda v: v * scale + offset)


_SRGB = [((i / 255 + 0.055) / 1.055) ** 2.4 for i in range(256)]


def _linear(image: Image.Image) -> list[Image.Image]:
    """Return the linear-light R, G and B planes of an RGB image."""
    return [plane.point(_SRGB, "F") for plane in image.split()]


class _Constants:
    """Images of 0 and 1/3 per size: the operands ImageMath would fill anew."""

    def __init__(self):
        self.made = {}

    def __call__(self, size):
        if size not in self.made:
            self.made[size] = (
                Image.new("F", size, 0.0),
                Image.new("F", size, 1 / 3),
            )
        return self.made[size]


def _xyb(linear: list[Image.Image], planes, constants) -> list[Image.Image | None]:
    """Return SSIMULACRA2's positive X, Y and B-Y planes from linear RGB.

    Only the planes in ``planes`` (0: X, 1: Y, 2: B-Y) are made; None for others.
    The opsin mix of linear light is never negative (its weights and the
    bias are positive), so SSIMULACRA2's clamp before the cube root is moot.
    """
    r, g, b = linear
    _, third = constants(r.size)

    def cube_root(m):
        return _eval(
            lambda a: (a["r"] + a["g"] + a["b"]) ** a["t"],
            r=_affine(r, m[0], _BIAS),
            g=_affine(g, m[1]),
            b=_affine(b, m[2]),
            t=third,
        )

    # With c_i the cube roots: X = (c0 - c1) * 7 + 0.42,
    # Y = (c0 + c1) / 2 - cbrt(bias) + 0.01, B-Y = c2 - (c0 + c1) / 2 + 0.55.
    c0, c1 = cube_root(_M[0]), cube_root(_M[1])
    out = [None, None, None]
    if 0 in planes:
        out[0] = _affine(_eval(lambda a: a["p"] - a["q"], p=c0, q=c1), 7.0, 0.42)
    if 1 in planes or 2 in planes:
        both = _eval(lambda a: a["p"] + a["q"], p=c0, q=c1)
        if 1 in planes:
            out[1] = _affine(both, 0.5, 0.01 - _BIAS_CBRT)
        if 2 in planes:
            out[2] = _eval(
                lambda a: a["c"] + a["h"],
                c=cube_root(_M[2]),
                h=_affine(both, -0.5, 0.55),
            )
    return out


@functools.cache
def _needed(scales: int):
    """Return {(scale, plane): (ssim, ringing, lost) needed}: weights of 0.01 up.

    SSIMULACRA2 numbers its weights over the scales an image has, so an image
    under 256 px (fewer than six scales) weighs its maps with other weights.

    SSIMULACRA2 fitted most of its 108 weights to about 0 (1e-3 and less, on
    maps that stay under 1): leaving those maps out moves a score by less
    than 0.01, and skips X and B-Y at full size, most of the work.
    """
    out = {}
    for plane in range(3):
        for scale in range(scales):
            base = (plane * scales + scale) * 6
            kinds = tuple(
                max(WEIGHTS[base + k], WEIGHTS[base + 3 + k]) >= 0.01 for k in range(3)
            )
            if any(kinds):
                out[scale, plane] = kinds
    return out


def _blur(plane: Image.Image) -> Image.Image:
    """Return ``plane`` blurred: zeros beyond its left and right edges."""
    width, height = plane.size
    padded = Image.new("F", (width + 2 * BLUR_PAD, height), 0.0)
    padded.paste(plane, (BLUR_PAD, 0))
    small = (
        max(1, round(padded.width / BLUR_FACTOR)),
        max(1, round(height / BLUR_FACTOR)),
    )
    shrunk = padded.resize(small, Image.Resampling.BILINEAR)
    enlarged = shrunk.resize(padded.size, Image.Resampling.BILINEAR)
    return enlarged.crop((BLUR_PAD, 0, BLUR_PAD + width, height))


def _square(operand):
    """Return ``operand * operand``: one operation where writing the operand
    twice would compute it twice."""
    return operand * operand


def _mean(plane: Image.Image) -> float:
    return plane.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))


def _norms(plane: Image.Image) -> tuple[float, float]:
    """Return a map's mean and 4-norm."""
    fourth = _eval(lambda a: _square(a["d"] * a["d"]), d=plane)
    return _mean(plane), max(_mean(fourth), 0.0) ** 0.25


_ZERO = (0.0, 0.0)


class Reference:
    """An image's XYB planes and blurs at every scale, kept for many comparisons.

    Everything that depends on the reference alone is made once here: its
    planes, their blurs, variances and edges, and the SSIM denominator's
    constant; a comparison then works on the candidate's side only.
    """

    def __init__(self, image: Image.Image):
        self.scales = []
        self.constants = _Constants()
        self.needed = _needed(_count_scales(image.size))
        for scale, linear in enumerate(_pyramid(image)):
            stats = {}
            planes = {plane for (s, plane) in self.needed if s == scale}
            if not planes:  # the coarsest scale weighs nothing
                self.scales.append(stats)
                continue
            for plane, x in enumerate(_xyb(linear, planes, self.constants)):
                if x is not None:
                    mu = _blur(x)
                    square = _blur(_eval(lambda a: a["x"] * a["x"], x=x))
                    variance = _eval(lambda a: a["s"] - a["m"] * a["m"], s=square, m=mu)
                    edge = _eval(lambda a: abs(a["x"] - a["m"]), x=x, m=mu)
                    stats[plane] = (x, mu, _affine(variance, 1.0, _C2), edge,
                                    _affine(edge, 1.0, 1.0))  # fmt: skip
            self.scales.append(stats)

    def maps(self, image: Image.Image) -> list:
        """Return the pooled maps of ``image`` (RGB, same size) at every scale:
        [scale][plane] -> (ssim, ringing, lost), each (mean, 4-norm); zeros
        where no weight needs them (``weigh`` makes the score)."""
        averages = []
        pyramid = _pyramid(image)
        for scale, (reference, linear) in enumerate(
            zip(self.scales, pyramid, strict=False)
        ):
            row = [(_ZERO, _ZERO, _ZERO)] * 3
            if reference:
                planes = _xyb(linear, reference, self.constants)
                zero, _ = self.constants(linear[0].size)
                for plane, stats in reference.items():
                    needed = self.needed[scale, plane]
                    row[plane] = _compare(stats, planes[plane], needed, zero)
            averages.append(row)
        return averages

    def score(self, image: Image.Image) -> float:
        """Return the SSIMULACRA2 score of ``image`` (RGB, same size) against this."""
        return weigh(self.maps(image))


def _compare(stats, y, needed, zero):
    """Return the pooled (ssim, ringing, lost) maps of one plane at one scale."""
    x, mu1, variance1, edge1, edge1_plus = stats  # variance1 is v1 + C2
    want_ssim, want_ringing, want_lost = needed
    mu2 = _blur(y)
    out = [_ZERO, _ZERO, _ZERO]
    if want_ssim:
        # SSIMULACRA2's SSIM without the luminance denominator, clamped at 0:
        # 1 - (1 - (mu1 - mu2)^2) (2 (s12 - mu1 mu2) + C2) / (v1 + s22 - mu2^2 + C2)
        s22 = _blur(_eval(lambda a: a["y"] * a["y"], y=y))
        s12 = _blur(_eval(lambda a: a["x"] * a["y"], x=x, y=y))
        num_m = _eval(lambda a: _square(a["p"] - a["q"]), p=mu1, q=mu2)
        num_s = _eval(lambda a: a["s"] - a["p"] * a["q"], s=s12, p=mu1, q=mu2)
        ratio = _eval(
            lambda a: a["m"] * a["n"] / (a["v"] + a["s"] - a["q"] * a["q"]),
            m=_affine(num_m, -1.0, 1.0),
            n=_affine(num_s, 2.0, _C2),
            v=variance1,
            s=s22,
            q=mu2,
        )
        out[0] = _norms(
            _eval(
                lambda a: a["max"](a["r"], a["z"]), r=_affine(ratio, -1.0, 1.0), z=zero
            )  # fmt: skip
        )
    if want_ringing or want_lost:
        # (|y - mu2| + 1) / (|x - mu1| + 1) - 1: ringing where above 0, detail
        # lost where under.
        ratio = _eval(
            lambda a: (abs(a["y"] - a["m"]) - a["e"]) / a["f"],
            y=y,
            m=mu2,
            e=edge1,
            f=edge1_plus,
        )
        if want_ringing:
            out[1] = _norms(_eval(lambda a: a["max"](a["r"], a["z"]), r=ratio, z=zero))
        if want_lost:
            out[2] = _norms(
                _eval(
                    lambda a: a["max"](a["r"], a["z"]), r=_affine(ratio, -1.0), z=zero
                )  # fmt: skip
            )
    return tuple(out)


def _count_scales(size):
    """Return how many scales of at least 8 px an image of ``size`` has."""
    width, height = size
    count = 0
    while count < _SCALES and min(width, height) >= 8:
        count += 1
        width, height = (width + 1) // 2, (height + 1) // 2
    return count


def _pyramid(image: Image.Image):
    """Yield linear RGB planes at each scale, halved by box averages, >= 8 px."""
    linear = _linear(image.convert("RGB"))
    for scale in range(_SCALES):
        if min(linear[0].size) < 8:
            return
        yield linear
        if scale < _SCALES - 1:
            linear = [plane.reduce(2) for plane in linear]


def weigh(averages) -> float:
    """Weigh the pooled maps as SSIMULACRA2 does and map onto its scale."""
    total, i = 0.0, 0
    scales = len(averages)
    for plane in range(3):
        for scale in range(scales):
            ssim, ringing, lost = averages[scale][plane]
            for n in range(2):
                total += WEIGHTS[i] * abs(ssim[n])
                total += WEIGHTS[i + 1] * abs(ringing[n])
                total += WEIGHTS[i + 2] * abs(lost[n])
                i += 3
    total *= 0.9562382616834844
    total = (
        2.326765642916932 * total
        - 0.020884521182843837 * total * total
        + 6.248496625763138e-05 * total * total * total
    )
    return 100.0 - 10.0 * total**0.6276336467831387 if total > 0 else 100.0
