"""What a preset change would do, shown before it is saved. Nothing is stored.

``preset_change_summary`` counts what a save would rebuild. ``preset_sample``
renders the changed preset for one sample asset on demand, from a reduced copy
(the asset's full-frame rendition, or the original shrunk by the engine), so a
preview is bounded in pixels and in time whatever the original's size.
"""

import base64
import dataclasses
import time

from django.core.files.storage import storages
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from transcoder import selectors
from transcoder.conf import image_limits
from transcoder.delivery import serving
from transcoder.imaging import engine
from transcoder.imaging.dedupe import distinct_outputs
from transcoder.imaging.specs import Fit, RenditionSpec
from transcoder.models import Asset, Preset, Rendition, RenditionStatus

SAMPLES = 3
# The reduced copy's longest side, and the time one sample may take.
REDUCED_SIDE = 800
SAMPLE_SECONDS = 0.6
STILLS = ("webp", "jpeg", "png")


def preset_change_summary(*, preset, saved=None, visible=None):
    """Return what saving ``preset`` (unsaved changes) would rebuild.

    ``saved`` is the preset as stored, or None for a new one. The images are
    counted, and samples taken, within ``visible`` (the assets the editor may
    see; None: the whole library).
    """
    new = {s.digest for s in preset.specs()}
    old = {s.digest for s in saved.specs()} if saved and saved.active else set()
    changed = len(new - old) if preset.active else 0
    limited = visible is not None
    visible = Asset.objects.all() if visible is None else visible
    assets = visible.count()
    if not preset.active:
        text = gettext("Inactive: no renditions are built.")
    elif not changed:
        text = gettext("No rendition changes: nothing is rebuilt.")
    else:
        text = _rebuild_text(changed, assets, limited)
    samples = visible.order_by("-created_at").values_list("pk", flat=True)
    return {
        "text": text,
        "renditions_per_image": changed,
        "images": assets,
        "samples": [str(pk) for pk in samples[:SAMPLES]] if changed else [],
    }


def _rebuild_text(renditions, images, limited):
    each = ngettext(
        "Rebuilds %(n)s rendition", "Rebuilds %(n)s renditions", renditions
    ) % {"n": number_format(renditions, force_grouping=True)}
    if limited:
        # The rebuild covers the library; only the editor's part is counted.
        of = ngettext(
            "for the %(n)s image you can see, and any others.",
            "for each of the %(n)s images you can see, and any others.",
            images,
        )
    else:
        of = ngettext("for %(n)s image.", "for each of %(n)s images.", images)
    return f"{each} {of % {'n': number_format(images, force_grouping=True)}}"


def preset_sample(*, preset, asset):
    """Return the before and after of one asset for a changed preset."""
    deadline = time.monotonic() + SAMPLE_SECONDS
    before = _before(asset, preset.pk) if preset.pk else []
    data, reduced = _reduced_source(asset)
    specs = preset.specs(asset.crop_focal)
    groups = distinct_outputs(specs, asset.width, asset.height)
    # Small outputs first, AVIF (the slowest to encode) last: what the time
    # limit cuts off is the least telling.
    groups.sort(
        key=lambda g: (
            g[0].format == "avif",
            _area(g[0].target_size(asset.width, asset.height)),
        )
    )
    scale = min(1.0, reduced[0] / asset.width)
    after, picture = [], None
    for first, same in groups:
        width, height = first.target_size(asset.width, asset.height)
        row = {
            "label": _labels(same),
            "size": f"{width} × {height}",
            "bytes": "",
            "estimated": False,
            "built_once": len(same) > 1,
        }
        after.append(row)
        if time.monotonic() > deadline:
            row["bytes"] = gettext("not measured (time limit)")
            continue
        exact = first.target_size(*reduced) == (width, height)
        scaled = first if exact else _scaled(first, scale, width, height)
        (out,) = engine.render(data, [scaled], image_limits())
        factor = _area((width, height)) / max(1, _area((out.width, out.height)))
        row["estimated"] = factor > 1.01
        row["bytes"] = ("≈ " if row["estimated"] else "") + filesizeformat(
            round(len(out.data) * factor)
        )
        if first.format in STILLS:
            picture = (out, first)
    still = (
        selectors.rendition_best(
            asset_id=asset.pk, preset_slug=preset.slug, format="webp"
        )
        if preset.pk and before
        else None
    )
    return {
        "asset": {"id": str(asset.pk), "title": str(asset)},
        "before": before,
        "before_image": serving.rendition_url(still) if still else None,
        "after": after,
        "image": _data_uri(picture[0], picture[1]) if picture else None,
        "note": _note(reduced, scale, any(row["estimated"] for row in after)),
    }


def _note(reduced, scale, estimated):
    """Say what the sample was rendered from; mention ≈ only when a row has it."""
    if scale >= 1:
        return gettext("Rendered from the full image.")
    size = {"w": reduced[0], "h": reduced[1]}
    if estimated:
        return (
            gettext(
                "Rendered from a %(w)s × %(h)s copy; sizes are exact, bytes "
                "marked ≈ are estimated."
            )
            % size
        )
    return (
        gettext("Rendered from a %(w)s × %(h)s copy; sizes and bytes are exact.") % size
    )


def _area(size):
    return size[0] * size[1]


def _labels(specs):
    auto = gettext("auto")
    return ", ".join(
        f"{s.format.upper()} {s.width or auto}×{s.height or auto}" for s in specs
    )


def _scaled(spec, scale, width, height):
    """Return ``spec`` asking for the scaled-down target, from a reduced source."""
    if scale >= 1:
        return spec
    w = max(1, round(width * scale))
    h = max(1, round(height * scale))
    if spec.fit is Fit.COVER:
        return dataclasses.replace(spec, width=w, height=h)
    return dataclasses.replace(spec, width=w, height=None)


def _reduced_source(asset):
    """Return (bytes, (width, height)) of a copy no larger than REDUCED_SIDE."""
    rendition = selectors.full_frame_rendition(asset)
    if rendition is not None:
        with storages["renditions"].open(rendition.name, "rb") as f:
            data = f.read()
        if max(rendition.width, rendition.height) <= REDUCED_SIDE:
            return data, (rendition.width, rendition.height)
    else:
        with storages["default"].open(asset.original, "rb") as f:
            data = f.read()
    shrink = RenditionSpec(
        fit=Fit.CONTAIN,
        width=REDUCED_SIDE,
        height=REDUCED_SIDE,
        format="jpeg",
        quality=90,
    )
    (out,) = engine.render(data, [shrink], image_limits())
    return out.data, (out.width, out.height)


def _before(asset, preset_id):
    rows = Rendition.objects.filter(
        asset=asset,
        preset_id=preset_id,
        superseded_at__isnull=True,
        status=RenditionStatus.READY,
    ).order_by("format", "width")
    return [
        {
            "label": f"{r.format.upper()} {r.spec_width or gettext('auto')}×"
            f"{r.spec_height or gettext('auto')}",
            "size": f"{r.width} × {r.height}",
            "bytes": filesizeformat(r.bytes),
        }
        for r in rows
    ]


def _data_uri(out, spec):
    return f"data:{spec.output.mime};base64," + base64.b64encode(out.data).decode()


def saved_preset(pk):
    """Return the stored preset with this id, or None."""
    return Preset.objects.filter(pk=pk).first() if pk else None
