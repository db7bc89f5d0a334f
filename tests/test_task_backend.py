"""The django.tasks backend for Lambda: inline off Lambda, Zappa async invoke on it."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.fixtures_s3 import s3_timeout
from tests.lambda_helpers import FUNCTION_NAME

# Zappa handler, moto Lambda and invoke-recording fixtures.
pytest_plugins = ["tests.lambda_support"]

# Plain django_db; the tests that go through Zappa's handler or the S3 event
# entry point take transaction=True, because both call close_old_connections,
# which would close a connection left inside the test's transaction.
pytestmark = pytest.mark.django_db

BACKEND = "transcoder.aws.task_backends.LambdaBackend"


@pytest.fixture
def lambda_backend(settings):
    settings.TASKS = {"default": {"BACKEND": BACKEND}}


@pytest.mark.django_db(transaction=True)
def test_off_lambda_tasks_run_inline(lambda_backend, presets, jpeg):
    """Without AWS_LAMBDA_FUNCTION_NAME a task runs at once and returns its result."""
    from django.tasks import TaskResultStatus

    from transcoder import services
    from transcoder.models import Rendition, RenditionStatus
    from transcoder.tasks import generate_renditions

    asset = services.asset_create(content=jpeg, filename="a.jpg")
    assert Rendition.objects.filter(status=RenditionStatus.READY).count() == 3

    result = generate_renditions.enqueue(str(asset.pk))

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"ready": 3}
    assert result.backend == "default" and len(result.worker_ids) == 1
    assert result.enqueued_at <= result.started_at <= result.finished_at
    assert Rendition.objects.count() == 3


@pytest.mark.s3
def test_off_lambda_a_failing_task_is_recorded_on_its_result(
    commit, lambda_backend, faulty_s3, presets, jpeg, settings
):
    """A task that raises ends FAILED with its traceback, and enqueue does not raise.

    S3 times out reading the original on every attempt; the rows say why.
    """
    from django.tasks import TaskResultStatus

    from transcoder import services
    from transcoder.models import Rendition, RenditionStatus
    from transcoder.tasks import generate_renditions

    settings.MEDIAHUB_MAX_ATTEMPTS = 2
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    built = faulty_s3.keys("renditions/")
    assert len(built) == 3
    Rendition.objects.all().delete()
    faulty_s3.fail("HeadObject", times=10**6, fault=s3_timeout, storage="default")

    result = generate_renditions.enqueue(str(asset.pk))

    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == (
        "transcoder.services.rendering.renditions.RenditionStorageError"
    )
    assert "Read timeout on endpoint URL" in result.errors[0].traceback
    assert result.finished_at is not None
    assert faulty_s3.sleeps == [0.5]
    rows = Rendition.objects.filter(asset=asset)
    assert {(r.status, r.attempts) for r in rows} == {(RenditionStatus.FAILED, 2)}
    assert all("Storage error while reading the original" in r.error for r in rows)
    # The objects built before stay stored; nothing else was written.
    assert faulty_s3.keys("renditions/") == built
    assert faulty_s3.keys("originals/") == [asset.original]


def test_backend_refuses_options():
    """An OPTIONS entry is a configuration mistake, not something to ignore."""
    from transcoder.aws.task_backends import LambdaBackend

    with pytest.raises(ImproperlyConfigured, match="takes no OPTIONS"):
        LambdaBackend("default", {"OPTIONS": {"FUNCTION": "other"}})


@pytest.mark.django_db(transaction=True)
def test_on_lambda_enqueue_invokes_itself_and_the_payload_builds_renditions(
    zappa_handler, s3, presets, jpeg, monkeypatch, moto_lambda, lambda_invokes
):
    """On Lambda, enqueue is an Event invoke of the function's own name.

    The invoke goes over HTTP to moto's Lambda through the client that
    zappa.asynchronous made at import; moto runs no code (no Docker) but
    answers 202 and echoes the body it received. That exact payload then goes
    through Zappa's lambda_handler, which routes it to the task; delivering it
    a second time, as Lambda's at-least-once retries may, changes nothing.
    """
    from transcoder import services
    from transcoder.models import Rendition, RenditionStatus

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", moto_lambda)
    asset = services.asset_create(content=jpeg, filename="a.jpg")

    (call,) = lambda_invokes
    assert call.params["FunctionName"] == FUNCTION_NAME
    assert call.params["InvocationType"] == "Event"
    assert call.status == 202
    assert call.echoed == call.params["Payload"].encode()
    payload = json.loads(call.params["Payload"])
    assert payload["command"] == "zappa.asynchronous.route_lambda_task"
    assert payload["task_path"] == "transcoder.aws.task_backends.run_task"
    assert payload["kwargs"]["task"] == "transcoder.tasks.generate_renditions"
    assert payload["kwargs"]["args"] == [str(asset.pk), None, False]
    assert not Rendition.objects.exists() and s3.keys("renditions/") == []

    assert zappa_handler.lambda_handler(payload, None) == {"ready": 3}
    renditions = s3.keys("renditions/")
    rows = set(Rendition.objects.values_list("pk", "status", "name"))
    assert zappa_handler.lambda_handler(payload, None) == {"ready": 3}

    assert len(renditions) == len(rows) == 3
    assert {status for _, status, _ in rows} == {RenditionStatus.READY}
    assert s3.keys("renditions/") == renditions
    assert set(Rendition.objects.values_list("pk", "status", "name")) == rows
    assert lambda_invokes == [call]


def test_on_lambda_enqueue_returns_a_ready_task_result(
    lambda_backend, monkeypatch, moto_lambda, lambda_invokes
):
    """The TaskResult of a sent task is READY, enqueued, and carries its arguments."""
    from django.tasks import TaskResultStatus

    from transcoder.tasks import generate_renditions

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", moto_lambda)

    result = generate_renditions.enqueue("7c0d5a6e-0000-4000-8000-000000000000")

    assert result.status == TaskResultStatus.READY
    assert result.enqueued_at is not None and result.finished_at is None
    assert result.args == ["7c0d5a6e-0000-4000-8000-000000000000"]
    payload = json.loads(lambda_invokes[0].params["Payload"])
    assert payload["kwargs"]["result_id"] == result.id


def test_on_lambda_a_failed_invoke_is_recorded_not_raised(
    lambda_backend, zappa_async, monkeypatch, lambda_invokes
):
    """An invoke Lambda refuses fails the TaskResult; the caller's commit stands."""
    from django.tasks import TaskResultStatus

    from transcoder.tasks import generate_renditions

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "no-such-function")

    result = generate_renditions.enqueue("7c0d5a6e-0000-4000-8000-000000000000")

    assert result.status == TaskResultStatus.FAILED
    assert "ResourceNotFoundException" in result.errors[0].traceback
    assert lambda_invokes[0].params["FunctionName"] == "no-such-function"


@pytest.mark.django_db(transaction=True)
@pytest.mark.s3
def test_on_lambda_a_failing_task_raises_and_the_retry_finishes_it(
    zappa_handler, faulty_s3, presets, jpeg, settings, monkeypatch, moto_lambda
):
    """The routed task raises so Lambda retries; the retried payload then succeeds.

    S3 times out on the two reads of the original one delivery makes.
    """
    from transcoder import services
    from transcoder.models import Rendition, RenditionStatus

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", moto_lambda)
    settings.MEDIAHUB_MAX_ATTEMPTS = 4
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    payload = {
        "command": "zappa.asynchronous.route_lambda_task",
        "task_path": "transcoder.aws.task_backends.run_task",
        "capture_response": False,
        "response_id": None,
        "args": [],
        "kwargs": {
            "task": "transcoder.tasks.generate_renditions",
            "args": [str(asset.pk), None, False],
            "kwargs": {},
            "result_id": "retried",
            "backend": "default",
        },
    }
    reads = faulty_s3.fail("HeadObject", times=2, fault=s3_timeout, storage="default")
    with pytest.raises(
        services.RenditionStorageError, match="reading the original.*Read timeout"
    ):
        zappa_handler.lambda_handler(payload, None)
    assert reads["seen"] == 2 and faulty_s3.sleeps == [0.5]
    assert set(Rendition.objects.values_list("status", flat=True)) == {"failed"}
    assert faulty_s3.keys("renditions/") == []

    assert zappa_handler.lambda_handler(payload, None) == {"ready": 3}
    assert zappa_handler.lambda_handler(payload, None) == {"ready": 3}
    assert Rendition.objects.filter(status=RenditionStatus.READY).count() == 3
    assert len(faulty_s3.keys("renditions/")) == 3


@pytest.mark.s3
@pytest.mark.django_db(transaction=True)  # Zappa's handler closes connections
def test_a_payload_sent_before_the_move_still_runs(
    zappa_handler, s3, presets, jpeg, monkeypatch, moto_lambda
):
    """A payload naming transcoder.task_backends.run_task (sent by the deploy
    before the modules moved to aws/) still reaches the task and builds it."""
    from transcoder import services
    from transcoder.models import Rendition, RenditionStatus

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", moto_lambda)
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    assert not Rendition.objects.exists()
    payload = {
        "command": "zappa.asynchronous.route_lambda_task",
        "task_path": "transcoder.task_backends.run_task",
        "capture_response": False,
        "response_id": None,
        "args": [],
        "kwargs": {
            "task": "transcoder.tasks.generate_renditions",
            "args": [str(asset.pk), None, False],
            "kwargs": {},
            "result_id": "sent-before-the-move",
            "backend": "default",
        },
    }

    assert zappa_handler.lambda_handler(payload, None) == {"ready": 3}
    assert Rendition.objects.filter(status=RenditionStatus.READY).count() == 3
    assert len(s3.keys("renditions/")) == 3
