"""transcoder/aws/redrive.py: what Lambda gave up on is replayed from the queue.

The queue is moto's SQS over HTTP (the same server as S3). Each message is a
destination record in the shape AWS documents for an async invocation's
on-failure destination, around a real request payload: AWS's S3 event sample
rewritten for the test bucket, or the exact payload LambdaBackend sent to
moto's Lambda.
"""

import io
import json
import uuid
from urllib.parse import quote

import pytest
from django.core.management import call_command

from tests.fixtures_s3 import s3_unreachable
from tests.lambda_helpers import (
    FUNCTION_NAME,
    ROOT,
    load_event,
    s3_event,
    upload_photo,
)

pytest_plugins = ["tests.lambda_support"]
# Real commits: the entry points replayed close the connection around their work.
pytestmark = pytest.mark.django_db(transaction=True)

FUNCTION_ARN = f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION_NAME}"
PLAIN = "uploads/2026/Dropped Event.jpg"


def destination_record(payload, *, condition="RetriesExhausted"):
    """Return the record Lambda sends an on-failure destination for ``payload``.

    RetriesExhausted: three tries, the last one's error. EventAgeExceeded: the
    event waited past the maximum age and the function never answered.
    """
    request_id = str(uuid.uuid4())
    record = {
        "version": "1.0",
        "timestamp": "2026-03-02T10:15:30.123Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{FUNCTION_ARN}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": 3 if condition == "RetriesExhausted" else 0,
        },
        "requestPayload": payload,
    }
    if condition == "RetriesExhausted":
        record["responseContext"] = {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        }
        record["responsePayload"] = {
            "errorMessage": 'Could not connect to the endpoint URL: "https://..."',
            "errorType": "EndpointConnectionError",
            "requestId": request_id,
            "stackTrace": ['  File "/var/task/handler.py", line 657, in handler\n'],
        }
    return record


@pytest.fixture
def failure_queue(moto_endpoint, monkeypatch, settings):
    """Make the on-failure queue on moto and point the setting and boto3 at it.

    ``make(visibility=...)`` sets the queue's visibility timeout (900 s, the
    template's, unless a test needs a failed message back at once).
    """
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto_endpoint)
    client = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="eu-west-1")
    urls = []

    def make(visibility=900):
        url = client.create_queue(
            QueueName=f"{FUNCTION_NAME}-failed-{uuid.uuid4().hex[:8]}",
            Attributes={"VisibilityTimeout": str(visibility)},
        )["QueueUrl"]
        urls.append(url)
        settings.MEDIAHUB_FAILURE_QUEUE_URL = url
        queue = type("Queue", (), {})()
        queue.url, queue.client = url, client
        queue.send = lambda body: client.send_message(
            QueueUrl=url,
            MessageBody=body if isinstance(body, str) else json.dumps(body),
        )["MessageId"]
        queue.counts = lambda: _counts(client, url)
        return queue

    yield make
    for url in urls:
        client.delete_queue(QueueUrl=url)


def _counts(client, url):
    """Return (visible, in flight) messages of the queue."""
    attributes = client.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
        ],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def _dropped_upload(s3, key=PLAIN, data=None):
    """Store an upload as a browser would (a real photo unless ``data``), and
    return the payload of its S3 event."""
    if data is None:
        data = upload_photo(s3, key)
    else:
        s3.client.put_object(Bucket=s3.bucket, Key=key, Body=data)
    return s3_event(s3.bucket, quote(key, safe=""), len(data))


def _scheduled_redrive_event():
    """Return the EventBridge event of the stage's hourly redrive rule."""
    from zappa.core import Zappa

    config = json.loads((ROOT / "zappa_settings.json").read_text())
    (rule,) = [
        e
        for e in config["dev"]["events"]
        if e["function"] == "transcoder.aws.scheduled.redrive"
    ]
    name = Zappa.get_scheduled_event_name(Zappa, rule, rule["function"], FUNCTION_NAME)
    event = load_event("zappa/zappa_s3_configurationid_routing.json")
    del event["Records"]
    event["detail-type"] = "Scheduled Event"
    event["resources"] = [f"arn:aws:events:eu-west-1:123456789012:rule/{name}"]
    return event


def test_an_upload_whose_event_was_dropped_is_an_asset_after_the_hourly_redrive(
    zappa_handler, s3, presets, failure_queue
):
    """The stage's hourly rule, through Zappa's handler, replays the S3 event:
    one asset with its renditions, the upload gone, the message deleted."""
    from transcoder.models import Asset, RenditionStatus

    queue = failure_queue()
    event = _dropped_upload(s3)
    queue.send(destination_record(event))
    assert not Asset.objects.exists()

    counts = zappa_handler.lambda_handler(_scheduled_redrive_event(), None)

    assert counts == {"replayed": 1}
    asset = Asset.objects.get()
    assert asset.upload_key == PLAIN
    assert set(asset.renditions.values_list("status", flat=True)) == {
        RenditionStatus.READY
    }
    assert len(s3.keys("renditions/")) == asset.renditions.count() == 3
    assert s3.keys("uploads/") == []
    assert queue.counts() == (0, 0)


def test_a_dropped_task_is_replayed_and_its_renditions_built(
    zappa_handler,
    s3,
    presets,
    jpeg,
    monkeypatch,
    moto_lambda,
    lambda_invokes,
    failure_queue,
):
    """The exact payload LambdaBackend sent, aged out in Lambda's queue, builds
    the asset's renditions when replayed; nothing is invoked again."""
    from transcoder import services
    from transcoder.models import RenditionStatus

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", moto_lambda)
    queue = failure_queue()
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    (call,) = lambda_invokes
    payload = json.loads(call.params["Payload"])
    assert asset.renditions.count() == 0 and s3.keys("renditions/") == []
    queue.send(destination_record(payload, condition="EventAgeExceeded"))

    out = io.StringIO()
    call_command("redrive", stdout=out)

    assert "replayed " in out.getvalue()
    assert "task transcoder.tasks.generate_renditions" in out.getvalue()
    assert set(asset.renditions.values_list("status", flat=True)) == {
        RenditionStatus.READY
    }
    assert len(s3.keys("renditions/")) == asset.renditions.count() == 3
    assert queue.counts() == (0, 0)
    assert lambda_invokes == [call]


def test_a_replay_that_fails_again_keeps_its_message(
    s3, faulty_s3, presets, failure_queue
):
    """S3 unreachable during the replay: the message stays (in flight until the
    visibility timeout), nothing is made; once S3 is back a later run replays it.
    """
    from transcoder.aws.redrive import failures_redrive
    from transcoder.models import Asset

    queue = failure_queue(visibility=0)  # the timeout "has passed" at once
    queue.send(destination_record(_dropped_upload(faulty_s3)))
    rule = faulty_s3.fail("*", times=10**6, fault=s3_unreachable, storage="default")

    (line,) = failures_redrive()

    assert line.outcome == "failed" and "EndpointConnectionError" in line.summary
    assert rule["seen"] >= 1
    assert not Asset.objects.exists()
    assert faulty_s3.keys("uploads/") == [PLAIN]
    assert queue.counts() == (1, 0)

    rule["failures"] = 0
    (line,) = failures_redrive()

    assert line.outcome == "replayed"
    assert Asset.objects.get().upload_key == PLAIN
    assert queue.counts() == (0, 0)


def test_a_failed_replay_waits_out_the_visibility_timeout(
    s3, faulty_s3, presets, failure_queue
):
    """With the template's 900 s timeout a failed message is in flight, not lost."""
    from transcoder.aws.redrive import failures_redrive

    queue = failure_queue()
    queue.send(destination_record(_dropped_upload(faulty_s3)))
    faulty_s3.fail("*", times=10**6, fault=s3_unreachable, storage="default")

    assert [line.outcome for line in failures_redrive()] == ["failed"]
    assert queue.counts() == (0, 1)


class Clock:
    """A clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


def _distinct_jpeg(n):
    """Return a small JPEG of its own content (the same bytes would be refused
    as a duplicate)."""
    from tests.images import make_image

    return make_image("JPEG", size=(320 + n, 240), color=(20 * n, 90, 200))


def test_a_run_stops_at_its_message_budget(s3, presets, failure_queue):
    """Two of three records are replayed; the third waits, visible, untouched."""
    from transcoder.aws.redrive import failures_redrive
    from transcoder.models import Asset

    queue = failure_queue()
    keys = [f"uploads/2026/budget-{n}.jpg" for n in range(3)]
    for n, key in enumerate(keys):
        queue.send(destination_record(_dropped_upload(s3, key, _distinct_jpeg(n))))

    lines = failures_redrive(max_messages=2)

    assert [line.outcome for line in lines] == ["replayed", "replayed"]
    assert Asset.objects.count() == 2
    assert queue.counts() == (1, 0)
    assert len(s3.keys("uploads/")) == 1


def test_a_run_stops_starting_replays_at_its_time_budget(s3, presets, failure_queue):
    """Past max_seconds no replay starts; the messages received but not reached
    are made visible again at once for the next run."""
    from transcoder.aws.redrive import failures_redrive
    from transcoder.models import Asset

    queue = failure_queue()
    for n in range(3):
        key = f"uploads/2026/time-{n}.jpg"
        queue.send(destination_record(_dropped_upload(s3, key, _distinct_jpeg(n))))

    # Read at the start, before the receive, then before each replay: 100 s
    # apart, so the first replay starts at 200 s and the second would at 300 s.
    lines = failures_redrive(max_seconds=250, clock=Clock(step=100))

    assert [line.outcome for line in lines] == ["replayed", "released", "released"]
    assert Asset.objects.count() == 1
    assert queue.counts() == (2, 0)


def test_messages_that_are_not_destination_records_are_logged_and_left(
    s3, failure_queue, caplog
):
    """A stray body, a bare S3 event, a forged task path: none is replayed or
    deleted, and the log says why for each."""
    from transcoder.aws.redrive import failures_redrive
    from transcoder.models import Asset

    queue = failure_queue()
    bare = _dropped_upload(s3)
    forged = destination_record(
        {
            "command": "zappa.asynchronous.route_lambda_task",
            "task_path": "os.system",
            "args": ["touch /tmp/owned"],
            "kwargs": {},
        }
    )
    ids = [queue.send("hello"), queue.send(bare), queue.send(forged)]

    lines = failures_redrive()

    assert {(line.message_id, line.outcome) for line in lines} == {
        (i, "left") for i in ids
    }
    assert not Asset.objects.exists()
    assert queue.counts() == (0, 3)
    assert "not JSON" in caplog.text
    assert "not a Lambda on-failure destination record" in caplog.text
    assert "an async call of 'os.system'" in caplog.text


def test_a_failed_scheduled_event_is_not_replayed_but_cleared(failure_queue, caplog):
    """Its schedule runs it again: the record is logged and deleted, nothing run."""
    from transcoder.aws.redrive import failures_redrive

    queue = failure_queue()
    queue.send(destination_record(_scheduled_redrive_event()))

    (line,) = failures_redrive()

    assert line.outcome == "superseded"
    assert "mediahub-dev-transcoder.aws.scheduled.redrive" in line.summary
    assert "its schedule runs it again" in caplog.text
    assert queue.counts() == (0, 0)


def test_dry_run_lists_what_it_would_replay_and_changes_nothing(
    s3, presets, jpeg, failure_queue
):
    """Every record is listed (more than one receive's worth); every message is
    visible again afterwards and nothing is made."""
    from transcoder.models import Asset

    queue = failure_queue()
    for n in range(12):
        key = f"uploads/2026/dry-{n}.jpg"
        queue.send(destination_record(_dropped_upload(s3, key, jpeg)))

    out = io.StringIO()
    call_command("redrive", "--dry-run", stdout=out)

    lines = out.getvalue().splitlines()
    listed = [line for line in lines if line.startswith("would replay ")]
    assert len(listed) == 12
    assert {line.split(": ", 1)[1].split(" (")[0] for line in listed} == {
        f"S3 event 'uploads/2026/dry-{n}.jpg'" for n in range(12)
    }
    assert "RetriesExhausted after 3 tries" in listed[0]
    assert "12 would replay" in out.getvalue()
    assert not Asset.objects.exists()
    assert len(s3.keys("uploads/")) == 12
    assert queue.counts() == (12, 0)


def test_redrive_needs_its_queue(settings):
    """No queue configured: a clear error, not a silent no-op."""
    from django.core.exceptions import ImproperlyConfigured

    settings.MEDIAHUB_FAILURE_QUEUE_URL = ""

    with pytest.raises(ImproperlyConfigured, match="MEDIAHUB_FAILURE_QUEUE_URL"):
        call_command("redrive")
