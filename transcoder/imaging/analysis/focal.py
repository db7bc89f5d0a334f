"""Focal point and focal area geometry for cover crops. No Django.

A focal *area* is stored as its centre (the focal point, ``focal_x``/``focal_y``)
and its size (``focal_width``/``focal_height``, fractions of the image). Cover
crops are the largest box with the output's shape; centred on the area's centre
and moved only as far as the image edges force, such a box contains the whole
area whenever it is at least as large as the area (a box pushed off an edge
moves towards the area, never away from it). So ``crop_box`` below gives
exactly what ``engine.crop_box`` gives for the focal point alone, and the
engine needs no change to honour an area: the spec's focal tuple carries the
centre. ``transcoder/static/transcoder/crop.js`` draws the same boxes in the
browser; tests/test_focal.py checks the three agree.
"""


def area_from_centre(x, y, width, height):
    """Return (left, top, right, bottom) fractions of an area around (x, y).

    The area is clipped to the image.
    """
    half_w, half_h = width / 2, height / 2
    return (
        max(0.0, x - half_w),
        max(0.0, y - half_h),
        min(1.0, x + half_w),
        min(1.0, y + half_h),
    )


def centre_from_area(left, top, right, bottom):
    """Return (x, y, width, height) fractions of an area given by its corners."""
    left, right = sorted((min(max(left, 0.0), 1.0), min(max(right, 0.0), 1.0)))
    top, bottom = sorted((min(max(top, 0.0), 1.0), min(max(bottom, 0.0), 1.0)))
    return (
        round((left + right) / 2, 4),
        round((top + bottom) / 2, 4),
        round(right - left, 4),
        round(bottom - top, 4),
    )


def crop_box(out_size, width, height, focal=None, area=None):
    """Return the cover crop (left, top, right, bottom) of a width x height image.

    ``out_size`` is the output's (width, height); ``focal`` the point as
    fractions; ``area`` an optional (left, top, right, bottom) in fractions that
    the crop keeps in view where it can. Without an area this is
    ``engine.crop_box``'s rule.
    """
    out_width, out_height = out_size
    crop_width = min(width, height * out_width / out_height)
    crop_height = min(height, width * out_height / out_width)
    fx, fy = focal or (0.5, 0.5)
    left = _place(fx * width, crop_width, width, area and (area[0], area[2]))
    top = _place(fy * height, crop_height, height, area and (area[1], area[3]))
    return (left, top, left + crop_width, top + crop_height)


def _place(centre, size, extent, span):
    """Place a segment of ``size`` around ``centre`` inside 0..extent."""
    start = centre - size / 2
    if span is not None:
        lo, hi = span[0] * extent, span[1] * extent
        if hi - lo <= size:
            # Keep the area in: start between hi - size and lo.
            start = min(max(start, hi - size), lo)
    return min(max(start, 0.0), extent - size)
