"""Replay the async invocations Lambda gave up on, from the on-failure queue.

Lambda retries an async invocation twice, then (or once it is older than the
maximum event age) sends a destination record to the queue that
infra/zappa_hooks.py names (``MEDIAHUB_FAILURE_QUEUE_URL``). Its
``requestPayload`` is what the function was asked to do: an S3 upload event
or a task LambdaBackend sent. Each is replayed here through the entry point
Zappa's handler would have called (``events.on_upload``, ``run_task``), and
its message deleted only once the replay returned. Replays are safe to
repeat: finalize dedupes on the upload key and tasks call idempotent services.

A replay that fails again keeps its message, which SQS shows again after the
queue's visibility timeout; a message that is not a destination record, or
whose payload is of no kind known here, is logged and left for a person. A
scheduled event is not replayed: its schedule runs it again, so its record
is logged and deleted.
"""

import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit

from django.core.exceptions import ImproperlyConfigured

from transcoder.conf import setting

logger = logging.getLogger(__name__)

# SQS hands out at most ten messages per receive.
SQS_BATCH = 10
# Zappa's async message routes to its ``task_path``; these are the paths
# LambdaBackend sends (the second from payloads sent before the aws/ move).
TASK_COMMAND = "zappa.asynchronous.route_lambda_task"
TASK_PATHS = {
    "transcoder.aws.task_backends.run_task",
    "transcoder.task_backends.run_task",
}
CONDITIONS = {"RetriesExhausted", "EventAgeExceeded"}


class RecordError(ValueError):
    """A queue message that is not a destination record this code can replay."""


@dataclass(frozen=True)
class Failure:
    """One destination record: what was asked, why Lambda gave up, how to replay."""

    message_id: str
    receipt: str
    kind: str  # "upload", "task" or "scheduled"
    summary: str
    condition: str
    request_id: str
    invoke_count: int
    payload: dict


@dataclass(frozen=True)
class Line:
    """What one run did with one message."""

    outcome: str  # replayed, failed, superseded, left, would replay, released
    message_id: str
    summary: str


def failure_parse(*, message_id, receipt, body):
    """Return the ``Failure`` a queue message's body records.

    Raise ``RecordError`` saying why when the body is not a Lambda
    destination record, or records a payload of no kind replayed here.
    """
    try:
        record = json.loads(body)
    except ValueError:
        raise RecordError("not JSON") from None
    if not isinstance(record, dict):
        raise RecordError("not a JSON object")
    context = record.get("requestContext")
    payload = record.get("requestPayload")
    if not (
        isinstance(context, dict)
        and context.get("condition") in CONDITIONS
        and "version" in record
        and isinstance(payload, dict)
    ):
        raise RecordError("not a Lambda on-failure destination record")
    kind, summary = _kind(payload)
    return Failure(
        message_id=message_id,
        receipt=receipt,
        kind=kind,
        summary=summary,
        condition=context["condition"],
        request_id=str(context.get("requestId") or ""),
        invoke_count=int(context.get("approximateInvokeCount") or 0),
        payload=payload,
    )


def _kind(payload):
    """Return ``(kind, summary)`` for a request payload, or raise RecordError."""
    records = payload.get("Records")
    if isinstance(records, list) and records:
        if not all(
            isinstance(r, dict) and r.get("eventSource") == "aws:s3" for r in records
        ):
            raise RecordError("Records that are not all S3 events")
        keys = [((r.get("s3") or {}).get("object") or {}).get("key") for r in records]
        # S3 sends keys URL-encoded; repr() keeps control characters out of logs.
        return "upload", "S3 event " + ", ".join(
            repr(unquote_plus(str(k))) for k in keys
        )
    if payload.get("command") == TASK_COMMAND:
        if payload.get("task_path") not in TASK_PATHS:
            # Only LambdaBackend's entry may be imported from a message.
            raise RecordError(f"an async call of {payload.get('task_path')!r}")
        kwargs = payload.get("kwargs")
        if not isinstance(kwargs, dict) or not isinstance(
            payload.get("args", []), list
        ):
            raise RecordError("a task payload without its arguments")
        return "task", f"task {kwargs.get('task')} {kwargs.get('args')!r}"
    if payload.get("source") == "aws.events" or payload.get("detail-type") == (
        "Scheduled Event"
    ):
        rules = ", ".join(
            str(r).rsplit("/", 1)[-1] for r in payload.get("resources", [])
        )
        return "scheduled", f"scheduled event {rules}"
    raise RecordError(f"a payload of unknown kind (keys {sorted(payload)[:8]})")


def failure_replay(*, failure):
    """Send ``failure``'s request through the entry point Zappa's handler routes
    it to, and return what that returned; its errors are raised."""
    if failure.kind == "upload":
        from transcoder.aws.events import on_upload

        return on_upload(failure.payload, None)
    if failure.kind == "task":
        from transcoder.aws.task_backends import run_task

        return run_task(*failure.payload.get("args", []), **failure.payload["kwargs"])
    raise RecordError(f"{failure.kind} requests are not replayed")


def sqs_client(queue_url):
    """Return an SQS client for the region of ``queue_url``.

    The endpoint is boto3's own (``AWS_ENDPOINT_URL_SQS`` moves it).
    """
    import boto3

    host = urlsplit(queue_url).hostname or ""
    parts = host.split(".")
    region = parts[1] if len(parts) > 3 and parts[0] == "sqs" else None
    return boto3.client("sqs", region_name=region)


def failures_redrive(
    *,
    queue_url=None,
    max_messages=None,
    max_seconds=None,
    dry_run=False,
    clock=time.monotonic,
    client=None,
):
    """Replay the failed invocations waiting in the queue; return a ``Line`` each.

    At most ``max_messages`` messages are taken (MEDIAHUB_REDRIVE_MAX_MESSAGES)
    and no replay starts after ``max_seconds`` (MEDIAHUB_REDRIVE_SECONDS) as
    ``clock`` counts; messages received but not reached are released at once.
    ``dry_run`` lists what would be replayed and leaves every message as it
    was.
    """
    queue_url = queue_url or setting("FAILURE_QUEUE_URL")
    if not queue_url:
        raise ImproperlyConfigured(
            "Set MEDIAHUB_FAILURE_QUEUE_URL to the stack's FailureQueueUrl output."
        )
    max_messages = (
        setting("REDRIVE_MAX_MESSAGES") if max_messages is None else (max_messages)
    )
    max_seconds = setting("REDRIVE_SECONDS") if max_seconds is None else max_seconds
    client = client or sqs_client(queue_url)
    deadline = clock() + max_seconds
    seen, looked_at, lines = set(), [], []
    try:
        while len(seen) < max_messages and clock() < deadline:
            messages = client.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(SQS_BATCH, max_messages - len(seen)),
                WaitTimeSeconds=0,
            ).get("Messages", [])
            fresh = [m for m in messages if m["MessageId"] not in seen]
            if not fresh:
                break
            for index, message in enumerate(fresh):
                if len(seen) >= max_messages or clock() >= deadline:
                    _release(client, queue_url, fresh[index:])
                    lines += [
                        Line("released", m["MessageId"], "over this run's budget")
                        for m in fresh[index:]
                    ]
                    return lines
                seen.add(message["MessageId"])
                if dry_run:
                    looked_at.append(message)
                lines.append(_handle(client, queue_url, message, dry_run))
    finally:
        # A dry run hides each message it received until the run ends (so one
        # receive after another reaches the rest), then shows them all again.
        _release(client, queue_url, looked_at)
    return lines


def _handle(client, queue_url, message, dry_run):
    message_id = message["MessageId"]
    try:
        failure = failure_parse(
            message_id=message_id,
            receipt=message["ReceiptHandle"],
            body=message.get("Body", ""),
        )
    except RecordError as e:
        logger.warning("Leaving message %s in the failure queue: %s", message_id, e)
        return Line("left", message_id, str(e))
    if failure.kind == "scheduled":
        if not dry_run:
            logger.warning(
                "Not replaying %s (%s, request %s): its schedule runs it again",
                failure.summary,
                failure.condition,
                failure.request_id,
            )
            _delete(client, queue_url, failure)
        return Line("superseded", message_id, failure.summary)
    if dry_run:
        return Line(
            "would replay",
            message_id,
            f"{failure.summary} ({failure.condition} after "
            f"{failure.invoke_count} tries, request {failure.request_id})",
        )
    try:
        failure_replay(failure=failure)
    except Exception as e:
        # Kept: SQS shows the message again after its visibility timeout.
        logger.exception(
            "Replay of %s (message %s, request %s) failed again; kept",
            failure.summary,
            message_id,
            failure.request_id,
        )
        return Line("failed", message_id, f"{failure.summary}: {e!r}")
    _delete(client, queue_url, failure)
    logger.info(
        "Replayed %s (message %s, request %s, %s)",
        failure.summary,
        message_id,
        failure.request_id,
        failure.condition,
    )
    return Line("replayed", message_id, failure.summary)


def _delete(client, queue_url, failure):
    client.delete_message(QueueUrl=queue_url, ReceiptHandle=failure.receipt)


def _release(client, queue_url, messages):
    """Make received messages visible again at once."""
    for message in messages:
        client.change_message_visibility(
            QueueUrl=queue_url,
            ReceiptHandle=message["ReceiptHandle"],
            VisibilityTimeout=0,
        )
