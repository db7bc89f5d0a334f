"""services.rendering.states: each asset's rendition state, kept as renditions
change."""

import pytest
from django.test.utils import CaptureQueriesContext

from tests.seed import asset_rows
from transcoder import services
from transcoder.models import (
    Asset,
    Change,
    Event,
    Preset,
    Rendition,
    RenditionState,
    RenditionStatus,
)

# Renditions are built once the asset's transaction commits, as in production.
pytestmark = pytest.mark.django_db


def _state(asset):
    return Asset.objects.values_list("rendition_state", flat=True).get(pk=asset.pk)


def test_a_built_asset_is_ready(commit, presets, jpeg):
    """renditions_generate leaves an asset with every active preset built 'ready'."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    assert _state(asset) == RenditionState.READY


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({"webp": RenditionStatus.FAILED}, RenditionState.FAILED),
        ({"webp": RenditionStatus.PENDING}, RenditionState.PENDING),
        (
            {"webp": RenditionStatus.FAILED, "jpeg": RenditionStatus.PENDING},
            RenditionState.FAILED_PENDING,
        ),
        ({}, RenditionState.READY),
    ],
)
def test_state_sums_up_the_current_renditions(
    commit, presets, jpeg, statuses, expected
):
    """Failed and pending rows give failed, pending or both; none gives ready."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    for fmt, status in statuses.items():
        Rendition.objects.filter(asset=asset, format=fmt).update(status=status)
    assert services.asset_state_refresh(asset_id=asset.pk) == expected
    assert _state(asset) == expected


def test_superseded_and_inactive_rows_do_not_count(commit, presets, jpeg):
    """A failed row that is superseded, or of an inactive preset, is ignored."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    row = Rendition.objects.filter(asset=asset, preset__slug="card").get()
    Rendition.objects.filter(pk=row.pk).update(status=RenditionStatus.FAILED)
    assert services.asset_state_refresh(asset_id=asset.pk) == RenditionState.FAILED
    Preset.objects.filter(slug="card").update(active=False)
    # Without the card preset the asset is ready again.
    assert services.asset_state_refresh(asset_id=asset.pk) == RenditionState.READY


def test_a_new_preset_makes_every_asset_pending_until_built(presets, jpeg, settings):
    """A new active preset's renditions are missing: every asset is pending."""
    settings.MEDIAHUB_STATE_BATCH = 1  # Several batches, to test the cursor.
    assets = [
        services.asset_create(content=jpeg, filename=f"{i}.jpg", allow_duplicate=True)
        for i in range(3)
    ]
    Preset.objects.create(slug="wide", name="Wide", width=200, formats=["jpeg"])
    assert services.asset_states_refresh_all() == 3
    assert {_state(a) for a in assets} == {RenditionState.PENDING}
    for asset in assets:
        services.renditions_generate(asset_id=asset.pk)
    assert {_state(a) for a in assets} == {RenditionState.READY}


def test_saving_a_new_preset_ends_with_every_asset_ready(commit, presets, jpeg):
    """preset_save refreshes the states, then its rebuild builds them: ready."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    with commit():
        services.preset_save(
            preset=Preset(slug="wide", name="Wide", width=200, formats=["jpeg"])
        )
    assert asset.renditions.filter(preset__slug="wide").exists()
    assert _state(asset) == RenditionState.READY


def test_deactivating_a_preset_clears_its_failures(commit, presets, jpeg):
    """A preset saved inactive no longer makes assets 'failed'."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.filter(asset=asset, preset__slug="card").update(
        status=RenditionStatus.FAILED
    )
    services.asset_state_refresh(asset_id=asset.pk)
    card = Preset.objects.get(slug="card")
    card.active = False
    with commit():
        services.preset_save(preset=card)
    assert _state(asset) == RenditionState.READY


def test_deleting_an_active_preset_refreshes_states(commit, presets, jpeg):
    """Deleting a preset whose renditions failed leaves its assets ready."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.filter(asset=asset, preset__slug="card").update(
        status=RenditionStatus.FAILED
    )
    services.asset_state_refresh(asset_id=asset.pk)
    with commit():
        Preset.objects.get(slug="card").delete()
    assert _state(asset) == RenditionState.READY


def test_refreshing_all_takes_queries_per_batch_not_per_asset(presets, settings):
    """Every state is worked out in set-based batches: 2 queries per batch."""
    from django.db import connection

    asset_rows(5)  # rows only: the states are worked out from rows, not files
    settings.MEDIAHUB_STATE_BATCH = 100
    with CaptureQueriesContext(connection) as queries:
        assert services.asset_states_refresh_all() == 5
    work = [q["sql"].split()[0] for q in queries if "pg_advisory" not in q["sql"]]
    work = [w for w in work if w in ("SELECT", "UPDATE")]
    # ids, those turning ready, states, no more ids.
    assert work == ["SELECT", "SELECT", "UPDATE", "SELECT"]


def test_assets_a_preset_change_turns_ready_are_logged_once(commit, presets, jpeg):
    """Deactivating the preset whose rendition failed turns the asset ready:
    the change log (so the feed and webhooks) says asset.ready once, and
    refreshing again says nothing more."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
        other = services.asset_create(
            content=jpeg, filename="b.jpg", allow_duplicate=True
        )
    Rendition.objects.filter(asset=asset, preset__slug="card").update(
        status=RenditionStatus.FAILED
    )
    services.asset_state_refresh(asset_id=asset.pk)
    ready = Change.objects.filter(event=Event.READY)
    before = {(c.asset_id, c.pk) for c in ready}
    Preset.objects.filter(slug="card").update(active=False)
    assert services.asset_states_refresh_all() == 2
    new = ready.exclude(pk__in=[pk for _, pk in before])
    assert list(new.values_list("asset_id", flat=True)) == [asset.pk]
    assert _state(asset) == _state(other) == RenditionState.READY
    services.asset_states_refresh_all()
    assert (
        not ready.exclude(pk__in=[pk for _, pk in before]).exclude(pk__in=new).exists()
    )
