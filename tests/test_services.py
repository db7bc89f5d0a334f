"""Services: the only writers of assets, presets and renditions."""

import pytest
from django.db import transaction

from transcoder import services
from transcoder.models import Asset, Preset, Rendition, RenditionStatus

# Plain django_db, with the commit fixture where on_commit work must run; the
# tests of what happens when a delete commits or rolls back take real commits.
pytestmark = pytest.mark.django_db


def test_asset_create_stores_original_untouched_and_builds_renditions(
    commit, presets, jpeg, stored_files, media_root
):
    """An upload keeps its bytes as they came and gets every preset's renditions."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="../../etc/My Photo.JPG")
    assert asset.original.startswith(f"originals/{asset.pk}/")
    assert "My Photo" not in asset.original and ".." not in asset.original
    assert (media_root / asset.original).read_bytes() == jpeg
    assert asset.title == "My Photo"
    assert (asset.width, asset.height, asset.format) == (640, 480, "jpeg")
    rows = list(asset.renditions.all())
    assert len(rows) == 3
    assert {r.status for r in rows} == {RenditionStatus.READY}
    thumb = [r for r in rows if r.preset.slug == "thumb"]
    assert {(r.width, r.height) for r in thumb} == {(100, 100)}
    card = next(r for r in rows if r.preset.slug == "card")
    assert (card.width, card.height) == (300, 225)
    for r in rows:
        assert r.name == (
            f"renditions/{asset.pk}/{r.preset.slug}/{r.digest}-{r.width}."
            f"{'jpg' if r.format == 'jpeg' else r.format}"
        )
        assert (media_root / r.name).stat().st_size == r.bytes
    assert len(stored_files()) == 4


def test_refused_upload_leaves_nothing_stored(presets, stored_files):
    """A file that is not an accepted image raises a clear error and stores nothing."""
    with pytest.raises(services.AssetRefusedError, match="SVG"):
        services.asset_create(
            content=b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', filename="x.jpg"
        )
    assert Asset.objects.count() == 0
    assert stored_files() == []


def test_oversized_upload_is_refused_before_decoding(settings, presets, jpeg):
    """A file over MEDIAHUB_MAX_UPLOAD_BYTES is refused; the message gives the limit."""
    settings.MEDIAHUB_MAX_UPLOAD_BYTES = len(jpeg) - 1
    with pytest.raises(services.AssetRefusedError, match="MB"):
        services.asset_create(content=jpeg, filename="big.jpg")
    assert Asset.objects.count() == 0


def test_generation_is_idempotent(commit, presets, jpeg, stored_files):
    """Running generation again builds nothing new: same rows, same objects."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    before = sorted(Rendition.objects.values_list("pk", "name", "attempts"))
    files = stored_files()
    services.renditions_generate(asset_id=asset.pk)
    assert sorted(Rendition.objects.values_list("pk", "name", "attempts")) == before
    assert stored_files() == files


def test_forced_regeneration_keeps_names(commit, presets, jpeg, stored_files):
    """Forcing a rebuild rewrites nothing: names are content-addressed and immutable."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    names = sorted(Rendition.objects.values_list("name", flat=True))
    rows = services.renditions_generate(asset_id=asset.pk, force=True)
    assert sorted(r.name for r in rows) == names
    assert all(r.attempts == 2 for r in rows)
    assert len(stored_files()) == 4


def test_editing_a_preset_builds_new_names_and_keeps_old_ones(commit, presets, jpeg):
    """A changed preset gets new renditions beside the old, which become superseded."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    card = Preset.objects.get(slug="card")
    old = Rendition.objects.get(asset=asset, preset=card)
    card.width = card.height = 200
    with commit():
        services.preset_save(preset=card)
    rows = Rendition.objects.filter(asset=asset, preset=card).order_by("created_at")
    assert rows.count() == 2
    old.refresh_from_db()
    new = rows.exclude(pk=old.pk).get()
    assert new.name != old.name and new.width == 200
    assert old.superseded_at is not None and new.superseded_at is None
    assert old.status == RenditionStatus.READY


def test_moving_the_focal_point_recrops_cover_renditions_only(commit, presets, jpeg):
    """A new focal point makes new cover crops; contained renditions stay unchanged."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    card_before = Rendition.objects.get(asset=asset, preset__slug="card").name
    with commit():
        services.asset_update(asset=asset, title="t", alt_text="a", focal=(0.1, 0.9))
    current = Rendition.objects.filter(asset=asset, superseded_at__isnull=True)
    assert current.get(preset__slug="card").name == card_before
    thumbs = Rendition.objects.filter(asset=asset, preset__slug="thumb")
    assert thumbs.count() == 4
    assert thumbs.filter(superseded_at__isnull=True).count() == 2


def test_failed_transcode_is_recorded_and_keeps_the_asset(
    commit, presets, jpeg, media_root
):
    """A broken original marks its renditions failed with a reason; the asset stays."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    ready = set(Rendition.objects.values_list("name", flat=True))
    (media_root / asset.original).write_bytes(jpeg[: len(jpeg) // 2])
    Preset.objects.filter(slug="card").update(quality=50)
    rows = services.renditions_generate(asset_id=asset.pk)
    failed = [r for r in rows if r.status == RenditionStatus.FAILED]
    assert len(failed) == 1 and "truncated" in failed[0].error
    assert failed[0].attempts == 1
    assert Asset.objects.filter(pk=asset.pk).exists()
    assert ready <= set(Rendition.objects.values_list("name", flat=True))
    for name in ready:
        assert (media_root / name).exists()


@pytest.mark.django_db(transaction=True)
def test_asset_erase_removes_files_after_commit(presets, jpeg, stored_files):
    """Erasing an asset removes its original and renditions once it commits."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    assert len(stored_files()) == 4
    with transaction.atomic():
        services.asset_erase(asset_id=asset.pk, versions=False)
        assert len(stored_files()) == 4
    assert stored_files() == []
    assert Rendition.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_rolled_back_delete_keeps_files(presets, jpeg, stored_files):
    """A delete whose transaction rolls back leaves every file in place."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    asset_id = asset.pk
    with pytest.raises(RuntimeError), transaction.atomic():
        services.asset_delete(asset=asset)
        raise RuntimeError("roll back")
    assert len(stored_files()) == 4
    assert Asset.objects.filter(pk=asset_id).exists()


def test_upload_key_makes_create_idempotent(presets, jpeg, stored_files):
    """Creating from the same upload key twice yields one asset and one original."""
    first = services.asset_create(content=jpeg, filename="a.jpg", upload_key="k1")
    second = services.asset_create(content=jpeg, filename="a.jpg", upload_key="k1")
    assert first.pk == second.pk
    assert Asset.objects.count() == 1
    assert len([f for f in stored_files() if f.startswith("originals/")]) == 1


def test_invalid_preset_is_refused_with_a_clear_message(db):
    """A cover preset without a height cannot be saved."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="cover crop needs both"):
        services.preset_save(
            preset=Preset(slug="x", name="X", fit="cover", width=100, formats=["jpeg"])
        )


def test_changing_a_preset_back_revives_its_earlier_renditions(commit, presets, jpeg):
    """A preset changed and then changed back serves its earlier renditions again."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    card = Preset.objects.get(slug="card")
    first = Rendition.objects.get(asset=asset, preset=card)
    card.width = card.height = 200
    with commit():
        services.preset_save(preset=card)
    card.width = card.height = 300
    with commit():
        services.preset_save(preset=card)
    current = Rendition.objects.get(
        asset=asset, preset=card, superseded_at__isnull=True
    )
    assert current.pk == first.pk
    assert current.width == 300
    assert Rendition.objects.filter(asset=asset, preset=card).count() == 2


def test_failing_enqueue_never_deletes_a_committed_original(
    commit, presets, jpeg, media_root
):
    """If the task backend fails after the asset commits, the original stays stored."""
    from django.tasks.backends.immediate import ImmediateBackend

    from transcoder.status import asset_states

    def broken_enqueue(*args, **kwargs):
        raise RuntimeError("the queue is down")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ImmediateBackend, "enqueue", broken_enqueue)
        with commit() as callbacks:
            asset = services.asset_create(content=jpeg, filename="a.jpg")
    assert callbacks, "asset_create queued no work on commit"
    assert Asset.objects.filter(pk=asset.pk).exists()
    assert (media_root / asset.original).read_bytes() == jpeg
    # Nothing was built: the asset shows as processing until a regenerate.
    assert not asset.renditions.exists()
    state = asset_states(asset_ids=[asset.pk])[str(asset.pk)]
    assert (state["state"], state["pending"], state["ready"]) == ("processing", 3, 0)
    rows = services.renditions_generate(asset_id=asset.pk)
    assert {r.status for r in rows} == {RenditionStatus.READY} and len(rows) == 3
