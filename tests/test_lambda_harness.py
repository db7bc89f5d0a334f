"""The Lambda harness delivers as AWS does, and the app holds up under it.

Zappa's own handler runs in container processes, with PostgreSQL behind
PgBouncer in transaction mode and S3 and SQS on moto's server. Events arrive
at least once and in any order, failures are retried twice and then recorded
in the on-failure queue, reserved concurrency throttles, and the app's own
async invocations come back through the harness. Retry delays pass on a
FakeClock, never in a sleep.
"""

import os
import uuid
import zlib
from types import SimpleNamespace

import pytest

from bench.lambda_harness import backing
from bench.lambda_harness.delivery import FakeClock, Policy
from bench.lambda_harness.harness import REGION, Harness
from bench.lambda_harness.photos import variants
from bench.workload import PHOTOS_DIR

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        backing.pgbouncer_path() is None and not os.environ.get("CI"),
        reason="No pgbouncer: run `make install` (CI fails instead of skipping).",
    ),
]

# A Zappa async task payload whose task path is not a Task: run_task raises
# ImproperlyConfigured every time, a handler error no retry can cure.
HOPELESS_TASK = {
    "task_path": "transcoder.aws.task_backends.run_task",
    "capture_response": False,
    "response_id": None,
    "args": [],
    "kwargs": {
        "task": "transcoder.conf.setting",
        "args": [],
        "kwargs": {},
        "result_id": "hopeless",
        "backend": "default",
    },
    "command": "zappa.asynchronous.route_lambda_task",
}


@pytest.fixture(scope="module")
def stack(moto_endpoint, tmp_path_factory):
    """PgBouncer in transaction mode before a migrated PostgreSQL database."""
    name = f"harness_{uuid.uuid4().hex[:10]}"
    folder = tmp_path_factory.mktemp("pgbouncer")
    pgbouncer = backing.PgBouncer(folder, pool_size=4).start()
    backing.create_database(name)
    backing.manage(
        "migrate",
        "--noinput",
        database_url=f"postgres://postgres@127.0.0.1:5432/{name}",
        secret_key="harness-migrations-only-" + uuid.uuid4().hex,
    )
    yield SimpleNamespace(
        pgbouncer=pgbouncer, database=name, moto=moto_endpoint, folder=folder
    )
    pgbouncer.stop()
    backing.drop_database(name)


@pytest.fixture
def lambda_env(stack, tmp_path):
    """Return a function starting a harness on a fresh bucket; all stop after."""
    import boto3

    started = []
    s3 = boto3.client("s3", endpoint_url=stack.moto, region_name=REGION)

    def start(policy, **options):
        bucket = f"media-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        harness = Harness(
            workdir=tmp_path / f"harness{len(started)}",
            s3_endpoint=stack.moto,
            database_url=stack.pgbouncer.url(stack.database),
            bucket=bucket,
            policy=policy,
            on_failure_queue=f"on-failure-{bucket}",
            **options,
        ).start()
        started.append(harness)
        harness.s3 = s3
        return harness

    yield start
    for harness in started:
        harness.stop()


def upload(harness, count, prefix):
    """Put ``count`` distinct small photos under uploads/ and send their events."""
    keys = []
    seed = zlib.crc32(prefix.encode())
    for name, data in variants(PHOTOS_DIR, count, max_side=320, seed=seed):
        key = f"uploads/{prefix}/{name}"
        harness.s3.put_object(Bucket=harness.bucket, Key=key, Body=data)
        keys.append(key)
    harness.put_s3_events(keys)
    return keys


def assets_by_key(stack, keys):
    with backing.connect(stack.database) as conn:
        rows = conn.execute(
            "SELECT upload_key, count(*) FROM transcoder_asset "
            "WHERE upload_key = ANY(%s) GROUP BY upload_key",
            [keys],
        ).fetchall()
    return dict(rows)


def max_overlap(runs):
    """Return the most handler runs that were in progress at one instant."""
    edges = sorted(
        [(r["started"], 1) for r in runs if "started" in r]
        + [(r["finished"], -1) for r in runs if "finished" in r]
    )
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def test_duplicated_deliveries_make_one_asset_per_upload(lambda_env, stack):
    """Every S3 event is delivered twice; each upload still becomes one asset."""
    harness = lambda_env(Policy(concurrency=2, duplicate_rate=1.0, seed=3))
    keys = upload(harness, 3, "twice")
    assert harness.drain(300)
    s3_runs = [r for r in harness.runs if r["kind"] == "s3"]
    assert len(s3_runs) == 6
    assert len({r["request_id"] for r in s3_runs}) == 3
    assert assets_by_key(stack, keys) == dict.fromkeys(keys, 1)
    assert not harness.s3.list_objects_v2(Bucket=harness.bucket, Prefix="uploads/")[
        "KeyCount"
    ]


def test_deliveries_come_out_of_order(lambda_env, stack):
    """Events run in a seeded order other than the one they were sent in."""
    harness = lambda_env(Policy(concurrency=1, seed=5), clock=FakeClock())
    keys = upload(harness, 4, "order")
    assert harness.drain(300)
    ran = [r["request_id"] for r in harness.runs]
    sent = harness.sent
    assert sorted(ran) == sorted(sent)
    assert ran != sent
    assert assets_by_key(stack, keys) == dict.fromkeys(keys, 1)


def test_a_failing_handler_is_retried_twice_then_recorded(lambda_env):
    """Three runs, a minute then two apart, then a RetriesExhausted record."""
    clock = FakeClock()
    harness = lambda_env(Policy(concurrency=1), clock=clock)
    request_id = harness.put(HOPELESS_TASK, kind="task")
    assert harness.drain(120)
    errors = [r["error"]["errorType"] for r in harness.runs]
    assert errors == ["ImproperlyConfigured"] * 3
    (record,) = harness.on_failure_records()
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{harness.function_arn}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == HOPELESS_TASK
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "ImproperlyConfigured"
    assert "is not a django.tasks Task" in record["responsePayload"]["errorMessage"]
    assert record["timestamp"].endswith("Z")
    assert [r["dispatched_at"] for r in harness.runs] == [0.0, 60.0, 180.0]


def test_an_event_older_than_its_maximum_age_is_dropped(lambda_env):
    """Past max age no retry runs: the record says EventAgeExceeded."""
    clock = FakeClock()
    harness = lambda_env(Policy(concurrency=1, max_age=100.0), clock=clock)
    harness.put(HOPELESS_TASK, kind="task")
    assert harness.drain(120)
    # The run at 0 s fails, the retry at 60 s fails; the next is due at 180 s.
    assert [r["dispatched_at"] for r in harness.runs] == [0.0, 60.0]
    (record,) = harness.on_failure_records()
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestPayload"] == HOPELESS_TASK


def test_reserved_concurrency_throttles_and_everything_runs(lambda_env, stack):
    """Never more handler runs at once than reserved; the rest wait and run."""
    harness = lambda_env(Policy(concurrency=2, seed=7).scaled(0.001))
    keys = upload(harness, 6, "throttle")
    assert harness.drain(300)
    assert max_overlap(harness.runs) == 2
    assert harness.queue.counts["throttled"] > 0
    assert assets_by_key(stack, keys) == dict.fromkeys(keys, 1)


def test_a_killed_container_starts_cold_and_the_event_is_retried(lambda_env, stack):
    """A SIGKILL mid-run fails the attempt; a new process runs the retry."""
    clock = FakeClock()
    harness = lambda_env(
        Policy(concurrency=1), clock=clock, kill_rate=1.0, kill_window=(0.05, 0.05)
    )
    harness.put(HOPELESS_TASK, kind="task")
    assert harness.drain(120)
    assert [r["killed"] for r in harness.runs] == [True] * 3
    assert [r["cold_start"] for r in harness.runs] == [1, 2, 3]
    (record,) = harness.on_failure_records()
    assert record["responsePayload"]["errorType"] == "Runtime.ExitError"


def test_the_apps_own_async_invocations_come_back(lambda_env, stack):
    """A rebuild queues its batches through Lambda's Invoke API; they run here."""
    harness = lambda_env(
        Policy(concurrency=2, seed=11).scaled(0.001),
        environ={"MEDIAHUB_REBUILD_BATCH": "1"},
    )
    keys = upload(harness, 2, "rebuild")
    assert harness.drain(300)
    harness.manage(
        "shell",
        "-c",
        "from transcoder.models import Asset; from transcoder import services; "
        f"ids = Asset.objects.filter(upload_key__in={keys!r})"
        ".values_list('pk', flat=True); "
        "services.rebuild_start(label='harness', asset_ids=ids, force=True)",
    )
    assert harness.drain(300)
    tasks = [r for r in harness.runs if r["kind"] == "task"]
    # One from the shell, then the first batch of one asset queues the next;
    # the second, at the selection's last asset, finishes the job.
    assert harness.app_invocations == 2
    assert len(tasks) == 2
    assert all(r["error"] is None for r in tasks)
    with backing.connect(stack.database) as conn:
        done, finished = conn.execute(
            "SELECT done, finished_at IS NOT NULL FROM transcoder_job "
            "WHERE label = 'harness'"
        ).fetchone()
    assert (done, finished) == (2, True)


def test_a_small_burst_with_faults_loses_nothing_and_doubles_nothing(tmp_path):
    """`make load-lambda` in small: its figures hold the burst's invariants.

    A quarter of handler runs killed, a quarter of deliveries duplicated, S3
    faults, the database's connections terminated and a purge on the way;
    every upload still ends as one asset (or a refusal), none lost.
    """
    from bench.lambda_harness import burst

    database = f"burst_{uuid.uuid4().hex[:10]}"
    args = burst.options(
        [
            "--uploads=12",
            "--concurrency=3",
            "--kill-rate=0.25",
            "--duplicate-rate=0.25",
            "--s3-fault-rate=0.02",
            "--max-side=320",
            "--pool-size=4",
            "--timeout=240",
            f"--db={database}",
            f"--out={tmp_path}",
        ]
    )
    try:
        report = burst.run(args)
    finally:
        backing.drop_database(database)
    figures, delivery, db = report["figures"], report["delivery"], report["database"]
    # The faults happened: runs killed and retried, deliveries sent twice.
    assert delivery["killed"] > 0
    assert delivery["errors_by_type"].get("Runtime.ExitError") == delivery["killed"]
    assert delivery["duplicated"] > 0
    assert delivery["runs"] >= 12 + delivery["killed"]
    assert report["s3_faults"].get("503", 0) > 0
    restart, purge = db["events"]
    assert (restart["what"], purge["what"]) == ("pg_terminate_backend", "purge_orphans")
    assert purge["exit"] == 0
    assert report["after"]["sweep"]["exit"] == 0
    # The invariants: one asset per upload, nothing doubled, nothing lost.
    assert report["drained"]
    assert figures["uploads"] == 12
    assert figures["assets"] + figures["refusals"] == 12
    assert figures["duplicates"] == 0
    assert figures["lost"] == figures["pending_uploads"] == 0
    assert figures["assets_ready"] == figures["assets"]
    assert figures["renditions"].get("pending", 0) == 0
    assert 0 < db["peak_server_connections"] <= db["pool_size"]
    # Waits are counted to the image's ready time, which the sweep after the
    # drain may set (a killed run's upload), so they may outlast the drain.
    assert 0 < figures["ready_p95_s"]
    assert figures["ready_p50_s"] <= figures["ready_p95_s"] <= figures["ready_max_s"]
    # A table row for every figure the issue asks for.
    table = burst.table(report)
    for row in ("assets made", "refusals", "duplicate", "lost", "drain", "p95"):
        assert row in table
