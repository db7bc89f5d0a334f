"""Rendition builds stream: each output is stored as soon as it is encoded."""

import json
import logging

import pytest

from transcoder import services
from transcoder.imaging import engine
from transcoder.models import Preset, Rendition, RenditionStatus

pytestmark = pytest.mark.django_db


def test_each_row_is_ready_before_the_next_output_is_made(presets, jpeg, monkeypatch):
    """A row turns ready as its object is stored, not after the whole build."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.all().delete()
    real_render = engine.render_iter
    seen = []

    def watching(*args, **kwargs):
        for out in real_render(*args, **kwargs):
            seen.append(Rendition.objects.filter(status="ready").count())
            yield out

    monkeypatch.setattr(engine, "render_iter", watching)
    services.renditions_generate(asset_id=asset.pk)
    assert seen == [0, 1, 2]
    assert Rendition.objects.filter(status="ready").count() == 3


def test_failure_midway_keeps_the_earlier_outputs_ready(
    commit, presets, jpeg, monkeypatch, media_root
):
    """An engine error after one output leaves it ready and fails the rest."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.filter(preset__slug="thumb").delete()
    card = Preset.objects.get(slug="card")
    old = Rendition.objects.get(asset=asset, preset=card)
    card.width = 200
    card.save()  # a new spec, built below; the old card rendition must survive
    real_render = engine.render_iter

    def breaks_after_one(*args, **kwargs):
        outputs = real_render(*args, **kwargs)
        yield next(outputs)
        raise engine.MemoryLimitError("The image needs more memory than allowed.")

    monkeypatch.setattr(engine, "render_iter", breaks_after_one)
    services.renditions_generate(asset_id=asset.pk)
    rows = list(Rendition.objects.filter(asset=asset).exclude(pk=old.pk))
    rows.sort(key=lambda r: (r.preset.slug, r.status))
    assert [(r.preset.slug, r.status) for r in rows] == [
        ("card", RenditionStatus.READY),
        ("thumb", RenditionStatus.FAILED),
        ("thumb", RenditionStatus.FAILED),
    ]
    assert all("more memory" in r.error for r in rows[1:])
    assert (media_root / rows[0].name).stat().st_size == rows[0].bytes
    old.refresh_from_db()
    assert old.status == RenditionStatus.READY
    assert (media_root / old.name).exists()


def test_each_transcode_logs_one_structured_line_per_preset(
    commit, presets, jpeg, caplog, monkeypatch
):
    """Off Lambda, a build logs asset, preset, ms, bytes and outcome per preset."""
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    with caplog.at_level(logging.INFO, logger="transcoder.metrics"), commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    lines = [
        json.loads(r.getMessage().removeprefix("transcode "))
        for r in caplog.records
        if r.name == "transcoder.metrics"
    ]
    assert sorted(line["preset"] for line in lines) == ["card", "thumb"]
    rows = Rendition.objects.filter(asset=asset)
    for line in lines:
        mine = rows.filter(preset__slug=line["preset"])
        assert line["asset"] == str(asset.pk)
        assert line["outcome"] == "ready"
        assert line["built"] == mine.count() and line["failed"] == 0
        assert line["bytes"] == sum(r.bytes for r in mine)
        assert line["ms"] >= 0


def test_a_refused_original_logs_failed_renditions(presets, jpeg, caplog, media_root):
    """A build that the engine refuses logs its renditions as failed."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.all().delete()
    (media_root / asset.original).write_bytes(b"not an image")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="transcoder.metrics"):
        services.renditions_generate(asset_id=asset.pk)
    lines = [
        json.loads(r.getMessage().removeprefix("transcode "))
        for r in caplog.records
        if r.name == "transcoder.metrics"
    ]
    assert {(line["preset"], line["outcome"]) for line in lines} == {
        ("card", "refused"),
        ("thumb", "refused"),
    }
    assert sum(line["failed"] for line in lines) == 3


def test_a_stored_preset_beyond_a_format_cap_is_skipped(commit, presets, jpeg, caplog):
    """A preset saved before the caps existed is skipped; the others still build."""
    Preset.objects.create(
        slug="huge", name="Huge", fit="contain", width=4000, formats=["png"]
    )
    with caplog.at_level(logging.WARNING), commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    assert "Preset huge is skipped: PNG renditions can be at most 2560" in caplog.text
    rows = Rendition.objects.filter(asset=asset)
    assert rows.count() == 3
    assert set(rows.values_list("status", flat=True)) == {RenditionStatus.READY}


def test_equal_outputs_are_encoded_once_and_stored_under_each_name(
    monkeypatch, stored_files
):
    """Hero widths above an 800 px original make one encode, not three."""
    from tests.images import make_image

    services.preset_save(
        preset=Preset(
            slug="hero",
            name="Hero",
            fit="contain",
            widths=[640, 1024, 1440],
            width=1440,
            formats=["jpeg"],
        )
    )
    asset = services.asset_create(
        content=make_image("JPEG", size=(800, 600)), queue_renditions=False
    )
    real_render = engine.render_iter
    asked = []

    def counting(data, specs, *args, **kwargs):
        asked.append([spec.width for spec in specs])
        yield from real_render(data, specs, *args, **kwargs)

    monkeypatch.setattr(engine, "render_iter", counting)
    rows = services.renditions_generate(asset_id=asset.pk)
    assert asked == [[640, 1024]]
    assert sorted((r.spec_width, r.width, r.status) for r in rows) == [
        (640, 640, "ready"),
        (1024, 800, "ready"),
        (1440, 800, "ready"),
    ]
    names = {r.spec_width: r.name for r in rows}
    assert names[1024] != names[1440]
    assert sum(name.startswith("renditions/") for name in stored_files()) == 3
