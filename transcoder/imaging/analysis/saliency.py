"""An automatic focal area: where the subject probably is. No Django, no numpy.

The method is libvips' ``attention`` smart crop (the one imgproxy uses), in
pure Pillow on a small proxy of the decoded image:

- **edges**: the magnitude of a Laplacian of the grey image (detail, texture,
  outlines: subjects are usually sharper and busier than their background);
- **skin tones**: hue, saturation and brightness close to human skin, weighted
  up because a face is what a crop must never cut;
- **saturation**: chroma (max - min of R, G, B), so a red coat or a product on
  a plain backdrop stands out.

The three maps are summed, averaged into a coarse grid and blurred; transparent
pixels count for nothing (a product cut out on a transparent PNG is the
subject). libvips centres the crop on the grid's maximum. Here the suggestion
is an *area*: the cells around the maximum that reach ``KEEP`` of it, so the
editor sees what was found, and crops centre on the area's centre exactly as
they do for an editor's area (see ``transcoder.imaging.analysis.focal``).

Everything runs on a proxy of at most ``PROXY`` pixels a side, made from
whatever decode the caller has (the upload's draft decode for the perceptual
hash: JPEG at 1/8 scale), so the cost is a few milliseconds whatever the size
of the original. ``bench/bench_focal.py`` measures it and how often the crops
of the starter presets keep a hand-marked subject, against centre crops.
"""

import dataclasses

from PIL import Image, ImageChops, ImageFilter, ImageMath, ImageOps

# Long side of the analysed proxy, in pixels.
PROXY = 192
# Larger images are first sampled down to this many times the proxy.
SAMPLE = 4
# Long side of the grid the saliency is averaged into; the suggestion's
# precision is one cell (1/24 of the long side).
GRID = 24
# Weights of the three maps in the sum (each map is 0..255).
EDGE_WEIGHT = 2
SKIN_WEIGHT = 3
SATURATION_WEIGHT = 1
# Gaussian blur of the grid, in cells: joins the parts of one subject.
BLUR = 1.2
# A cell joins the area when it reaches this fraction of the maximum.
KEEP = 0.6
# How much the saliency fades towards the edges of the frame: a cell at the
# border keeps 1 - CENTRE_BIAS of its weight. Photographers frame subjects
# away from the very edge; a little bias settles ties between equal details.
CENTRE_BIAS = 0.25
# The suggested area is never smaller than this fraction of a side.
MIN_SIDE = 0.08
# Images smaller than this on either side are not analysed (icons, spacers).
MIN_PIXELS = 16
# An area this large on both sides says nothing stands out: no suggestion,
# crops keep the centre (the area's centre would be about the same anyway).
WHOLE = 0.9


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """A suggested focal area: centre and size as fractions of the upright image."""

    x: float
    y: float
    width: float
    height: float

    def as_dict(self):
        return dataclasses.asdict(self)

    @property
    def box(self):
        """Return (left, top, right, bottom) fractions."""
        return (
            self.x - self.width / 2,
            self.y - self.height / 2,
            self.x + self.width / 2,
            self.y + self.height / 2,
        )


def proxy(image):
    """Return a small RGB copy of an upright Pillow image and its alpha (or None).

    The image itself is not changed nor copied at full size: a large one is
    first sampled (nearest pixel, which Pillow does in any mode without
    converting or premultiplying alpha) down to ``SAMPLE`` times the proxy,
    so a 50 MP RGBA PNG costs a few MB here, not a 200 MB converted copy.
    """
    longest = max(image.size)
    if longest > SAMPLE * PROXY:
        scale = SAMPLE * PROXY / longest
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.NEAREST)
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    scale = min(1.0, PROXY / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    small = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    alpha = small.getchannel("A") if small.mode in ("RGBA", "LA") else None
    return small.convert("RGB"), alpha


def _has_alpha(image):
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def saliency_map(rgb, alpha=None):
    """Return the saliency of a small RGB image as an "L" image of its size."""
    grey = rgb.convert("L")
    # |Laplacian|: FIND_EDGES keeps only the positive half, so add the
    # negative half from the inverted image.
    edges = ImageChops.add(
        grey.filter(ImageFilter.FIND_EDGES),
        ImageOps.invert(grey).filter(ImageFilter.FIND_EDGES),
    )
    # Pillow's kernels copy the outermost pixels unfiltered: no edge there.
    width, height = edges.size
    if width > 2 and height > 2:
        edges = ImageOps.expand(edges.crop((1, 1, width - 1, height - 1)), 1, 0)
    hue, sat, value = rgb.convert("HSV").split()
    # Skin: hue within about 0..40 degrees (Pillow's hue is 0..255), a
    # moderate saturation and not dark. Each test is a 0..255 ramp.
    skin = ImageChops.multiply(
        ImageChops.multiply(hue.point(_SKIN_HUE), sat.point(_SKIN_SAT)),
        value.point(_SKIN_VALUE),
    )
    # Chroma = S * V / 255 = max - min of the channels.
    chroma = ImageChops.multiply(sat, value).point(_CHROMA)
    total = ImageMath.lambda_eval(
        lambda a: (
            (a["e"] * EDGE_WEIGHT + a["s"] * SKIN_WEIGHT + a["c"] * SATURATION_WEIGHT)
            / (EDGE_WEIGHT + SKIN_WEIGHT + SATURATION_WEIGHT)
        ),
        e=edges,
        s=skin,
        c=chroma,
    ).convert("L")
    if alpha is not None:
        total = ImageChops.multiply(total, alpha)
    return total


def _ramp(lo_zero, lo_full, hi_full, hi_zero):
    """A 0..255 lookup table: 0 outside lo_zero..hi_zero, 255 in lo_full..hi_full."""
    table = []
    for v in range(256):
        if v <= lo_zero or v >= hi_zero:
            table.append(0)
        elif v < lo_full:
            table.append(round(255 * (v - lo_zero) / (lo_full - lo_zero)))
        elif v > hi_full:
            table.append(round(255 * (hi_zero - v) / (hi_zero - hi_full)))
        else:
            table.append(255)
    return table


# Hue wraps: reds just below 0 degrees (255) are skin too in warm light.
_SKIN_HUE = [
    max(a, b)
    for a, b in zip(_ramp(-1, 4, 20, 32), _ramp(244, 256, 256, 257), strict=True)
]
_SKIN_SAT = _ramp(30, 60, 150, 200)
_SKIN_VALUE = _ramp(50, 90, 256, 257)
# Chroma counts from a clearly coloured 40 up; greys and pastels add nothing.
_CHROMA = [0 if v < 40 else min(255, (v - 40) * 2) for v in range(256)]


def grid(saliency):
    """Return (columns, rows, values): the saliency in GRID cells, blurred."""
    width, height = saliency.size
    scale = GRID / max(width, height)
    columns = max(1, round(width * scale))
    rows = max(1, round(height * scale))
    cells = saliency.resize((columns, rows), Image.Resampling.BOX)
    cells = cells.filter(ImageFilter.GaussianBlur(BLUR))
    values = list(cells.get_flattened_data())
    if CENTRE_BIAS:
        values = [
            v
            * (1 - CENTRE_BIAS * _off_centre(i % columns, columns, i // columns, rows))
            for i, v in enumerate(values)
        ]
    return columns, rows, values


def _off_centre(column, columns, row, rows):
    """0 at the centre of the frame, 1 at its corners (squared distance)."""
    dx = (column + 0.5) / columns - 0.5
    dy = (row + 0.5) / rows - 0.5
    return (dx * dx + dy * dy) * 2


def area(columns, rows, values):
    """Return the Suggestion around the grid's maximum: the connected cells
    that reach KEEP of it (8-neighbours), as fractions."""
    peak = max(values)
    if peak <= 0:
        return Suggestion(0.5, 0.5, 1.0, 1.0)  # nothing at all stands out
    start = values.index(peak)
    floor = peak * KEEP
    seen = {start}
    todo = [start]
    left = right = start % columns
    top = bottom = start // columns
    while todo:
        cell = todo.pop()
        cx, cy = cell % columns, cell // columns
        left, right = min(left, cx), max(right, cx)
        top, bottom = min(top, cy), max(bottom, cy)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                nx, ny = cx + dx, cy + dy
                if 0 <= nx < columns and 0 <= ny < rows:
                    other = ny * columns + nx
                    if other not in seen and values[other] >= floor:
                        seen.add(other)
                        todo.append(other)
    return _suggestion(
        left / columns, top / rows, (right + 1) / columns, (bottom + 1) / rows
    )


def _suggestion(left, top, right, bottom):
    """Round and widen (left, top, right, bottom) fractions into a Suggestion."""
    for lo, hi, index in ((left, right, 0), (top, bottom, 1)):
        if hi - lo < MIN_SIDE:
            middle = min(max((lo + hi) / 2, MIN_SIDE / 2), 1 - MIN_SIDE / 2)
            lo, hi = middle - MIN_SIDE / 2, middle + MIN_SIDE / 2
        if index == 0:
            left, right = lo, hi
        else:
            top, bottom = lo, hi
    return Suggestion(
        x=round((left + right) / 2, 4),
        y=round((top + bottom) / 2, 4),
        width=round(right - left, 4),
        height=round(bottom - top, 4),
    )


def suggest(image):
    """Return the suggested focal area of an *upright* Pillow image, or None.

    None for images too small to say anything about, and for those where
    nothing stands out (the area would be nearly the whole frame). The image
    is not changed.
    """
    if min(image.size) < MIN_PIXELS:
        return None
    rgb, alpha = proxy(image)
    found = area(*grid(saliency_map(rgb, alpha)))
    if found.width >= WHOLE and found.height >= WHOLE:
        return None
    return found
