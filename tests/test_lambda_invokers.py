"""Who can make Zappa's handler run code: only direct invokers, never an event.

Zappa's ``lambda_handler`` executes a top-level ``raw_command`` (Python source),
``command`` (a dotted function) or ``manage`` (a management command) for whoever
may invoke the function. These tests feed the handler real S3 and API Gateway
samples carrying those words everywhere a sender controls (object key, path,
headers, query string, body) and show that nothing runs; each starts with a
control that the same payload, invoked directly, does run.
"""

import base64
import json
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from tests.lambda_helpers import MEDIA_ARN, load_event, s3_event

pytest_plugins = ["tests.lambda_support"]

# Plain django_db; the tests that go through Zappa's handler or the S3 event
# entry point take transaction=True, because both call close_old_connections,
# which would close a connection left inside the test's transaction.
pytestmark = pytest.mark.django_db

INTRUDER = "intruder"


def mark(event=None, context=None):
    """Write the marker file named in ``event``: proof that a ``command`` ran."""
    Path(event["marker"]).write_text("ran")
    return "ran"


@pytest.fixture
def payloads(tmp_path):
    """Return the three code-running payloads, each leaving its own trace."""
    marker = tmp_path / "raw_command.ran"
    command_marker = tmp_path / "command.ran"
    return {
        "raw_command": f"open({str(marker)!r}, 'w').write('ran')",
        "command": "tests.test_lambda_invokers.mark",
        "manage": f"createsuperuser --noinput --username {INTRUDER} "
        "--email intruder@example.com",
        "marker": str(command_marker),
        "_traces": (marker, command_marker),
    }


def _traces(payloads):
    from django.contrib.auth import get_user_model

    raw, command = payloads["_traces"]
    return {
        "raw_command": raw.exists(),
        "command": command.exists(),
        "manage": get_user_model().objects.filter(username=INTRUDER).exists(),
    }


def _json_payload(payloads):
    return json.dumps({k: v for k, v in payloads.items() if not k.startswith("_")})


@pytest.mark.parametrize("path", ["raw_command", "command", "manage"])
def test_direct_invocation_runs_code(zappa_handler, payloads, path):
    """Control: a top-level payload invoked directly does run (so the traces work)."""
    event = {path: payloads[path], "marker": payloads["marker"]}

    zappa_handler.lambda_handler(event, None)

    assert _traces(payloads)[path] is True


def _v1_request(payloads):
    body = _json_payload(payloads)
    event = load_event("aws-lambda-go/apigw-request.json")
    event.update(
        httpMethod="POST",
        path="/raw_command",
        body=base64.b64encode(body.encode()).decode(),
        isBase64Encoded=True,
        queryStringParameters={"raw_command": payloads["raw_command"]},
        multiValueQueryStringParameters={"manage": [payloads["manage"]]},
    )
    event["headers"] = {
        **event["headers"],
        "Content-Type": "application/json",
        "raw_command": payloads["raw_command"],
        "command": payloads["command"],
        "manage": payloads["manage"],
    }
    event["pathParameters"] = {"proxy": "raw_command"}
    return event


def _v2_request(payloads):
    event = load_event("aws-lambda-go/apigw-v2-request-no-authorizer.json")
    event["rawPath"] = "/manage"
    event["rawQueryString"] = urlencode({"command": payloads["command"]})
    event["requestContext"]["http"].update(method="POST", path="/manage")
    event["headers"] = {
        **event["headers"],
        "content-type": "application/json",
        "raw_command": payloads["raw_command"],
    }
    event.update(body=_json_payload(payloads), isBase64Encoded=False)
    return event


def _v1_form_post(payloads):
    event = load_event("powertools/apiGatewayProxyEvent.json")
    event.update(
        httpMethod="POST",
        path="/admin/login/",
        body=urlencode({"raw_command": payloads["raw_command"], "manage": "check"}),
        isBase64Encoded=False,
    )
    event["headers"] = {
        **(event.get("headers") or {}),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return event


API_REQUESTS = {
    "rest-api-json-body-path-headers-query": _v1_request,
    "http-api-json-body-path-headers-query": _v2_request,
    "rest-api-form-post": _v1_form_post,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("build", API_REQUESTS.values(), ids=API_REQUESTS.keys())
def test_api_gateway_request_cannot_run_code(zappa_handler, payloads, build):
    """Whatever a request carries, it is an HTTP request to Django, nothing more."""
    response = zappa_handler.lambda_handler(build(payloads), None)

    assert isinstance(response["statusCode"], int)
    assert _traces(payloads) == {
        "raw_command": False,
        "command": False,
        "manage": False,
    }


def _s3_events(payloads, bucket):
    body = _json_payload(payloads)
    keys = [
        quote(body, safe=""),
        quote(f"uploads/{body}", safe=""),
        "raw_command",
        quote(payloads["raw_command"], safe=""),
    ]
    events = [s3_event(bucket, key, 12) for key in keys]
    decoded = load_event("powertools/s3EventDecodedKey.json")
    for record in decoded["Records"]:
        record["s3"]["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
        record["s3"]["object"]["key"] = f"uploads/{body}"
        # Fields S3 never sends, as if a sender could add them to a record.
        record.update({k: v for k, v in payloads.items() if not k.startswith("_")})
    events.append(decoded)
    return events


@pytest.mark.django_db(transaction=True)
def test_s3_events_cannot_run_code(zappa_handler, s3, payloads):
    """S3 records with the payloads in their keys or fields reach on_upload only."""
    from transcoder.models import Asset

    mapping = zappa_handler.settings.AWS_EVENT_MAPPING
    mapping[f"arn:aws:s3:::{s3.bucket}"] = mapping[MEDIA_ARN]

    for event in _s3_events(payloads, s3.bucket):
        zappa_handler.lambda_handler(event, None)

    assert _traces(payloads) == {
        "raw_command": False,
        "command": False,
        "manage": False,
    }
    assert not Asset.objects.exists()


def test_s3_event_for_an_unmapped_bucket_runs_nothing(zappa_handler, payloads, capfd):
    """A record from a bucket the stage does not map finds no function at all."""
    event = s3_event("someone-elses-bucket", quote(_json_payload(payloads)), 12)

    assert zappa_handler.lambda_handler(event, None) is None

    # Zappa's own logger writes to the process's stderr.
    assert "Cannot find a function" in capfd.readouterr().err
    assert not any(_traces(payloads).values())
