"""Body caps behind API Gateway: Zappa's handler, a stage prefix, real events."""

import json

import pytest

from tests.lambda_helpers import load_event
from transcoder import services
from transcoder.models import ApiToken

pytest_plugins = ["tests.lambda_support"]
# Every test goes through Zappa's handler, whose request cycle calls
# close_old_connections: that would close a connection left inside the test's
# transaction, so these take real commits.
pytestmark = pytest.mark.django_db(transaction=True)

HOST = "abc123.execute-api.eu-west-1.amazonaws.com"


def _event(method, path, authorization, body):
    """An API Gateway (REST, stage "dev") proxy event carrying ``body``."""
    event = load_event("aws-lambda-go/apigw-request.json")
    headers = {
        "Host": HOST,
        "Content-Type": "application/json",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "443",
    }
    if authorization:
        headers["Authorization"] = authorization
    event.update(
        httpMethod=method,
        path=path,
        resource="/{proxy+}",
        headers=headers,
        multiValueHeaders={k: [v] for k, v in headers.items()},
        queryStringParameters=None,
        multiValueQueryStringParameters=None,
        body=body,
        isBase64Encoded=False,
    )
    return event


@pytest.mark.parametrize(
    ("method", "path", "scope", "status", "message"),
    [
        ("POST", "/admin/login/", "read", 413, "Sign in first."),
        ("POST", "/admin/login/", "write", 413, "Sign in first."),
        ("POST", "/api/uploads/", "write", 413, "at most 65536 bytes of JSON"),
        ("PUT", "/api/uploads/content/x/", "bad", 401, "A valid API token"),
        ("PUT", "/api/uploads/content/x/", "read", 403, "the write scope"),
    ],
)
def test_the_cap_follows_url_names_under_a_stage_prefix(
    zappa_handler, admin_user, method, path, scope, status, message
):
    """Resolved by URL name, the rule holds when the path carries the stage."""
    keys = {
        "read": services.api_token_issue(
            token=ApiToken(name="r", created_by=admin_user)
        ),
        "write": services.api_token_issue(
            token=ApiToken(name="w", scope_write=True, created_by=admin_user)
        ),
        "bad": "not-a-key",
    }
    body = json.dumps({"filename": "x" * 100_000})
    answer = zappa_handler.lambda_handler(
        _event(method, path, f"Bearer {keys[scope]}", body), None
    )
    assert answer["statusCode"] == status
    assert message in answer["body"]
    if path.startswith("/api/"):
        assert json.loads(answer["body"])["status"] == status


def test_a_write_token_reaches_the_upload_put_behind_the_stage(
    zappa_handler, admin_user, settings
):
    """The control: the upload PUT takes a write token's large body (then checks it)."""
    key = services.api_token_issue(
        token=ApiToken(name="w", scope_write=True, created_by=admin_user)
    )
    answer = zappa_handler.lambda_handler(
        _event("PUT", "/api/uploads/content/x/", f"Bearer {key}", "x" * 100_000), None
    )
    # Past the cap, the view itself answers: this URL is not a signed one.
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["error"] == "There is no such upload URL."
