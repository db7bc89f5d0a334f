"""The admin's status endpoint: processing, ready, failed with the reason."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from transcoder import services
from transcoder.models import Rendition, RenditionStatus

URL = "/admin/transcoder/asset/status/"
ANY_ID = "00000000-0000-0000-0000-000000000001"

# Plain django_db; the queued upload takes transaction=True, for the
# database worker picks its task up only once it is committed.
pytestmark = pytest.mark.django_db


def test_status_url_is_the_admin_one():
    """The endpoint lives under the asset admin."""
    assert reverse("admin:transcoder_asset_status") == URL


@pytest.mark.django_db(transaction=True)
def test_queued_upload_is_processing_then_ready(
    admin_client, db_backend, presets, jpeg
):
    """Queued: processing, nothing begun; after the worker: ready, 3 of 3."""
    from django.core.management import call_command

    asset = services.asset_create(content=jpeg, filename="a.jpg")
    data = admin_client.get(URL, {"ids": str(asset.pk)}).json()
    assert data["assets"][str(asset.pk)] == {
        "state": "processing",
        "ready": 0,
        "failed": 0,
        "pending": 3,
        "total": 3,
        "error": "",
        "reasons": [],
        "queued": True,
        "rebuilding": False,
    }
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    data = admin_client.get(URL, {"ids": str(asset.pk)}).json()
    state = data["assets"][str(asset.pk)]
    assert (state["state"], state["ready"], state["total"]) == ("ready", 3, 3)
    assert state["queued"] is False


def test_failed_rendition_gives_failed_with_its_reason(
    commit, admin_client, presets, jpeg
):
    """One failed rendition makes the asset failed, with the preset and the reason."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.filter(asset=asset, preset__slug="card").update(
        status=RenditionStatus.FAILED, error="The file ends early"
    )
    state = admin_client.get(URL, {"ids": str(asset.pk)}).json()["assets"]
    assert state[str(asset.pk)]["state"] == "failed"
    assert state[str(asset.pk)]["error"] == "Card: The file ends early"


def test_renditions_of_an_earlier_engine_count_as_ready_until_rebuilt(
    commit, admin_client, presets, jpeg, monkeypatch
):
    """After an engine version change, served renditions stay ready; a changed
    spec (here its quality) is still to build."""
    from transcoder.imaging import specs
    from transcoder.models import Preset

    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")

    def state():
        return admin_client.get(URL, {"ids": str(asset.pk)}).json()["assets"][
            str(asset.pk)
        ]

    assert state()["state"] == "ready"
    monkeypatch.setattr(specs, "ENGINE_VERSION", specs.ENGINE_VERSION + 1)
    assert (state()["state"], state()["ready"], state()["total"]) == ("ready", 3, 3)
    Preset.objects.filter(slug="card").update(quality=55)
    assert (state()["state"], state()["pending"]) == ("processing", 1)
    # A row of the earlier engine that failed is not a built rendition.
    Preset.objects.filter(slug="card").update(quality=80)
    Rendition.objects.filter(asset=asset, preset__slug="card").update(
        status=RenditionStatus.FAILED
    )
    assert (state()["state"], state()["pending"]) == ("processing", 1)


def test_a_new_active_preset_makes_assets_processing_again(
    commit, admin_client, presets, jpeg
):
    """Specs of an active preset with no rows yet count as still to build."""
    from transcoder.models import Preset

    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    Preset.objects.create(slug="x", name="X", fit="contain", width=50, formats=["png"])
    state = admin_client.get(URL, {"ids": str(asset.pk)}).json()["assets"]
    assert state[str(asset.pk)]["state"] == "processing"
    assert state[str(asset.pk)]["pending"] == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"ids": "not-a-uuid"}, "Malformed id|badly formed"),
        ({"ids": ",".join([ANY_ID] * 101)}, "at most 100"),
    ],
)
def test_bad_ids_are_refused(admin_client, query, message):
    """Malformed or too many ids get a 400 with a reason."""
    import re

    response = admin_client.get(URL, query)
    assert response.status_code == 400
    assert re.search(message, response.json()["error"])


def test_status_needs_view_permission(commit, client, presets, jpeg):
    """Staff without the view permission get 403; with it, the state."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    user = User.objects.create_user("ed", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(URL, {"ids": str(asset.pk)}).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_asset"))
    response = client.get(URL, {"ids": str(asset.pk)})
    assert response.status_code == 200
    assert response.json()["assets"][str(asset.pk)]["state"] == "ready"
    assert "no-store" in response["Cache-Control"]


def test_anonymous_is_sent_to_login(client):
    """The endpoint is behind the admin login."""
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_job_progress_is_reported(admin_client, db_backend, presets, jpeg):
    """A rebuild job's totals and progress come back under "jobs"."""
    services.asset_create(content=jpeg, filename="a.jpg")
    job = services.rebuild_start(label="Regenerate", force=True)
    data = admin_client.get(URL, {"jobs": str(job.pk)}).json()
    assert data["jobs"][str(job.pk)] == {
        "id": str(job.pk),
        "label": "Regenerate",
        "total_assets": 1,
        "total_renditions": 3,
        "done": 0,
        "finished": False,
        "error": "",
    }


def test_a_build_under_way_is_no_longer_queued(commit, admin_client, presets, jpeg):
    """Once the worker has begun (its rows exist), the upload is processing,
    not queued, and counts each rendition as it is stored.
    """
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.filter(asset=asset).exclude(preset__slug="card").update(
        status=RenditionStatus.PENDING
    )
    state = admin_client.get(URL, {"ids": str(asset.pk)}).json()["assets"]
    state = state[str(asset.pk)]
    assert (state["state"], state["queued"], state["ready"]) == (
        "processing",
        False,
        1,
    )


def test_job_progress_moves_with_each_asset_not_each_batch(
    admin_client, db_backend, presets, jpeg, settings
):
    """A rebuild's bar moves as each asset is built, inside one batch."""
    settings.MEDIAHUB_REBUILD_BATCH = 10
    for i in range(3):
        services.asset_create(content=jpeg, filename=f"{i}.jpg", allow_duplicate=True)
    job = services.rebuild_start(label="Regenerate", force=True)
    seen = []

    def build(asset_id, preset_ids, force):
        body = admin_client.get(URL, {"jobs": str(job.pk)}).json()
        seen.append(body["jobs"][str(job.pk)]["done"])

    assert services.job_step(job_id=job.pk, cursor="", build=build) == 3
    assert seen == [0, 1, 2]
    body = admin_client.get(URL, {"jobs": str(job.pk)}).json()
    assert body["jobs"][str(job.pk)]["done"] == 3


def test_assets_a_running_rebuild_has_yet_to_reach_say_so(
    admin_client, db_backend, presets, jpeg
):
    """The grid's poll marks the assets a running rebuild has not built yet."""
    assets = sorted(
        (
            services.asset_create(
                content=jpeg, filename=f"{i}.jpg", allow_duplicate=True
            )
            for i in range(3)
        ),
        key=lambda a: str(a.pk),
    )
    ids = ",".join(str(a.pk) for a in assets)

    def rebuilding():
        states = admin_client.get(URL, {"ids": ids}).json()["assets"]
        return [states[str(a.pk)]["rebuilding"] for a in assets]

    assert rebuilding() == [False, False, False]
    job = services.rebuild_start(
        label="Regenerate", asset_ids=[a.pk for a in assets[1:]], force=True
    )
    assert rebuilding() == [False, True, True]
    services.job_step(job_id=job.pk, cursor="", build=lambda *a: None)
    assert rebuilding() == [False, False, False]
