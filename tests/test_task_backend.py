"""The django.tasks backend for Lambda: inline off Lambda, Zappa async invoke on it."""

import json
from contextlib import contextmanager

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.lambda_helpers import FUNCTION_NAME

# Zappa handler, moto Lambda and invoke-recording fixtures.
pytest_plugins = ["tests.lambda_support"]

pytestmark = pytest.mark.django_db(transaction=True)

BACKEND = "transcoder.task_backends.LambdaBackend"


@pytest.fixture
def lambda_backend(settings):
    settings.TASKS = {"default": {"BACKEND": BACKEND}}


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


def _timed_out(**kwargs):
    raise TimeoutError("S3 read timed out")


@contextmanager
def storage_down():
    """Make building renditions fail the way a timed-out S3 request does."""
    from transcoder import services

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "renditions_generate", _timed_out)
        yield


def test_off_lambda_a_failing_task_is_recorded_on_its_result(lambda_backend):
    """A task that raises ends FAILED with its traceback, and enqueue does not raise."""
    from django.tasks import TaskResultStatus

    from transcoder.tasks import generate_renditions

    with storage_down():
        result = generate_renditions.enqueue("7c0d5a6e-0000-4000-8000-000000000000")

    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == "builtins.TimeoutError"
    assert "S3 read timed out" in result.errors[0].traceback
    assert result.finished_at is not None


def test_backend_refuses_options():
    """An OPTIONS entry is a configuration mistake, not something to ignore."""
    from transcoder.task_backends import LambdaBackend

    with pytest.raises(ImproperlyConfigured, match="takes no OPTIONS"):
        LambdaBackend("default", {"OPTIONS": {"FUNCTION": "other"}})


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
    assert payload["task_path"] == "transcoder.task_backends.run_task"
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


def test_on_lambda_a_failing_task_raises_and_the_retry_finishes_it(
    zappa_handler, s3, presets, jpeg, monkeypatch, moto_lambda
):
    """The routed task raises so Lambda retries; the retried payload then succeeds."""
    from transcoder import services
    from transcoder.models import Rendition, RenditionStatus

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", moto_lambda)
    asset = services.asset_create(content=jpeg, filename="a.jpg")
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
            "result_id": "retried",
            "backend": "default",
        },
    }
    with storage_down(), pytest.raises(TimeoutError, match="S3 read timed out"):
        zappa_handler.lambda_handler(payload, None)

    assert zappa_handler.lambda_handler(payload, None) == {"ready": 3}
    assert zappa_handler.lambda_handler(payload, None) == {"ready": 3}
    assert Rendition.objects.filter(status=RenditionStatus.READY).count() == 3
    assert len(s3.keys("renditions/")) == 3
