"""purge_orphans in bounded invocations that go on from a stored cursor.

With a budget of N, one invocation looks at no more than N rows and listed
objects (so deletes no more than N); the next goes on where it stopped, and
the invocations together delete exactly what one unbounded run would. A fault
midway leaves nothing half-done: the next run takes the page again.
"""

import os
import time
import uuid
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from django.core.files.storage import storages
from django.utils import timezone

from transcoder import services
from transcoder.delivery import presign
from transcoder.models import Rendition, ScheduledCursor
from transcoder.services.background import maintenance

pytestmark = pytest.mark.django_db

HOUR = 3600


def _orphans(asset_ids, user):
    """Return keys of every kind that qualify for the purge once old enough."""
    names = []
    for i, asset_id in enumerate(asset_ids):
        names += [
            f"renditions/{asset_id}/thumb/{i:016x}-100.webp",
            f"renditions/{asset_id}/card-{i}/{i:016x}-300.jpg",
            f"originals/{asset_id}/{i:016x}.jpg",
        ]
    refused = [presign.upload_key_new(user=user) for _ in range(3)]
    for key in refused:
        services.upload_refusal_record(key=key, reason="Not an image.")
    return names + refused


def _superseded(commit, jpeg, count):
    """Make ``count`` assets, each with one superseded rendition; return names."""
    from tests.images import make_image

    names = []
    for i in range(count):
        with commit():
            asset = services.asset_create(
                content=make_image("JPEG", size=(40, 30), color=(i * 50, 9, 9))
                if i
                else jpeg
            )
        row = asset.renditions.filter(preset__slug="card").get()
        Rendition.objects.filter(pk=row.pk).update(
            superseded_at=timezone.now() - timedelta(hours=3)
        )
        names.append(row.name)
    return names


def _put_local(media_root, name):
    path = media_root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    then = time.time() - 3 * 24 * HOUR
    os.utime(path, (then, then))


def _run_bounded(budget, now):
    """Run bounded invocations until the pass is over; return their steps."""
    steps = []
    while not steps or not steps[-1].done:
        steps.append(services.orphans_purge_step(budget=budget, now=now))
        assert len(steps) < 100
    return steps


@pytest.mark.parametrize("budget", [1, 3, 7])
def test_bounded_invocations_do_what_one_unbounded_run_does_locally(
    commit, presets, jpeg, media_root, stored_files, admin_user, budget
):
    """Local storage, budgets of 1, 3 and 7: each invocation looks at no more
    than its budget, none repeats another's work, and together they delete
    exactly what a dry run of the whole pass plans."""
    superseded = _superseded(commit, jpeg, 2)
    orphans = _orphans([uuid.uuid4() for _ in range(3)], admin_user)
    for name in orphans:
        _put_local(media_root, name)
    now = timezone.now()
    expected = services.orphans_purge(dry_run=True, now=now)
    assert {name for _, name, _ in expected} == {*superseded, *orphans}
    before = set(stored_files())

    steps = _run_bounded(budget, now)

    assert all(step.touched <= budget for step in steps)
    assert all(len(step.plan) <= budget for step in steps)
    done = [entry for step in steps for entry in step.plan]
    assert sorted(done) == sorted(expected)  # each once, none twice
    assert set(stored_files()) == before - {name for _, name, _ in expected}
    assert ScheduledCursor.objects.get(name="purge_orphans").marker == ""
    assert len(steps) >= len(before) // budget


def test_a_stored_cursor_carries_on_where_the_last_invocation_stopped(media_root, db):
    """After one bounded invocation the cursor names the last key it looked
    at; the next one starts after it."""
    names = [f"originals/{uuid.uuid4()}/{i:016x}.jpg" for i in range(5)]
    for name in names:
        _put_local(media_root, name)
    first = services.orphans_purge_step(budget=2)
    assert first.touched == 2 and not first.done
    marker = ScheduledCursor.objects.get(name="purge_orphans").marker
    # The superseded phase (no rows) costs nothing; two originals were listed.
    assert marker == f"originals:{sorted(names)[1]}"
    second = services.orphans_purge_step(budget=2)
    assert [name for _, name, _ in second.plan] == sorted(names)[2:4]


def test_local_keys_come_in_key_order_after_the_marker(media_root, db):
    """Folders sort as their name and "/", so a local listing is in S3's
    order, and a marker skips whole folders before it."""
    names = [
        "renditions/a/x.webp",
        "renditions/a-b.webp",
        "renditions/a/b/c.webp",
        "renditions/b.webp",
        "renditions/a0/x.webp",
    ]
    for name in names:
        _put_local(media_root, name)
    storage = storages["renditions"]
    listed = list(maintenance.local_keys(storage, "renditions"))
    assert listed == sorted(names)
    after = sorted(names)[2]
    assert (
        list(maintenance.local_keys(storage, "renditions", after)) == sorted(names)[3:]
    )


@pytest.mark.s3
def test_bounded_purge_on_s3_lists_pages_of_its_budget(
    commit, faulty_s3, presets, jpeg, admin_user
):
    """On S3 each invocation lists at most its budget per request, deletes at
    most its budget, and the invocations end as one unbounded run would."""
    s3 = faulty_s3
    superseded = _superseded(commit, jpeg, 2)
    orphans = _orphans([uuid.uuid4() for _ in range(3)], admin_user)
    for name in orphans:
        s3.client.put_object(Bucket=s3.bucket, Key=name, Body=b"x")
    now = timezone.now() + timedelta(days=2)
    expected = services.orphans_purge(dry_run=True, now=now)
    assert {name for _, name, _ in expected} == {*superseded, *orphans}
    everything = set(s3.keys())

    steps = []
    while not steps or not steps[-1].done:
        sent = len(s3.requests)
        steps.append(services.orphans_purge_step(budget=4, now=now))
        deletes = [op for _, op in s3.requests[sent:] if op == "DeleteObject"]
        assert len(deletes) <= 4 and steps[-1].touched <= 4

    assert sorted(e for step in steps for e in step.plan) == sorted(expected)
    assert set(s3.keys()) == everything - {name for _, name, _ in expected}


@pytest.mark.s3
def test_a_fault_midway_leaves_nothing_half_done_and_the_next_run_goes_on(
    commit, faulty_s3, presets, jpeg, admin_user
):
    """A DeleteObject that fails midway stops the invocation: the superseded
    rows whose objects were not all deleted stay, the cursor stays before the
    failed page; the next run takes that page again and ends as planned."""
    s3 = faulty_s3
    superseded = _superseded(commit, jpeg, 2)
    orphans = _orphans([uuid.uuid4() for _ in range(2)], admin_user)
    for name in orphans:
        s3.client.put_object(Bucket=s3.bucket, Key=name, Body=b"x")
    now = timezone.now() + timedelta(days=2)
    expected = services.orphans_purge(dry_run=True, now=now)
    everything = set(s3.keys())

    rule = s3.fail("DeleteObject", times=1, storage="renditions")
    with pytest.raises(ClientError):
        services.orphans_purge(now=now, budget=3)
    assert rule["seen"] == 1
    # The first batch of superseded rows kept its rows: nothing half-done.
    assert Rendition.objects.filter(name__in=superseded).count() == 2
    assert set(superseded) <= set(s3.keys())

    services.orphans_purge(now=now, budget=3)
    assert not Rendition.objects.filter(name__in=superseded).exists()
    assert set(s3.keys()) == everything - {name for _, name, _ in expected}
