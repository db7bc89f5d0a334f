"""Admin login brute force: django-axes locks a username and address after 5 misses."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import User
from django.test import Client, RequestFactory

from tests.lambda_helpers import load_event
from transcoder.web.client_ip import client_ip

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "the-right-password-1"  # noqa: S105


class CountingHasher(MD5PasswordHasher):
    """MD5 for speed, counting every time a password is hashed."""

    algorithm = "counting-md5"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


@pytest.fixture
def hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.test_login_lockout.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


@pytest.fixture
def admin(hasher):
    user = User.objects.create_superuser("admin", password=PASSWORD)
    hasher.calls = 0
    return user


def _login(client, password, username="admin", **extra):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        **extra,
    )


def test_sixth_wrong_password_is_refused_without_hashing(admin, hasher):
    """Five misses each run the hasher (the fifth locks); the sixth runs none."""
    from axes.models import AccessAttempt

    client = Client()
    for attempt in range(1, 5):
        response = _login(client, f"guess-{attempt}")
        assert response.status_code == 200
        assert b"Please enter the correct username and password" in response.content
        assert hasher.calls == attempt
    assert _login(client, "guess-5").status_code == 429
    assert hasher.calls == 5

    sixth = _login(client, "guess-6")
    assert sixth.status_code == 429
    assert hasher.calls == 5
    # Locked even with the right password, and from a fresh client: the state
    # is in the database, as every Lambda container sees it.
    assert _login(Client(), PASSWORD).status_code == 429
    assert hasher.calls == 5
    attempt = AccessAttempt.objects.get(username="admin")
    assert attempt.ip_address == "127.0.0.1"
    assert attempt.failures_since_start >= 5


def test_lock_is_per_username_and_address(admin, hasher):
    """Another address may still sign in as the same user, and fail on its own."""
    client = Client()
    for attempt in range(5):
        _login(client, f"guess-{attempt}")
    assert _login(client, "guess").status_code == 429
    assert _login(client, PASSWORD).status_code == 429
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    response = _login(elsewhere, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_success_before_the_limit_resets_the_count(admin, hasher):
    """Four misses, a success, then four more misses: never locked."""
    for attempt in range(4):
        _login(Client(), f"guess-{attempt}")
    assert _login(Client(), PASSWORD).status_code == 302
    for attempt in range(4):
        assert _login(Client(), f"again-{attempt}").status_code == 200
    assert _login(Client(), PASSWORD).status_code == 302


def test_failure_limit_is_a_setting(admin, hasher, settings):
    """AXES_FAILURE_LIMIT sets how many misses lock the login."""
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    assert _login(client, "one").status_code == 200
    assert _login(client, "two").status_code == 429
    assert _login(client, "three").status_code == 429
    assert hasher.calls == 2


def test_unknown_usernames_are_locked_too(hasher):
    """Guessing a username that does not exist is limited the same way."""
    client = Client()
    for _ in range(4):
        assert _login(client, "x", username="nobody").status_code == 200
    assert _login(client, "x", username="nobody").status_code == 429
    calls = hasher.calls
    assert _login(client, "x", username="nobody").status_code == 429
    assert hasher.calls == calls


def _zappa_request(sample, forwarded_for):
    """A request as Zappa builds it from an API Gateway event sample."""
    event = load_event(sample)
    request = RequestFactory().post(
        LOGIN, HTTP_X_FORWARDED_FOR=forwarded_for, REMOTE_ADDR=forwarded_for
    )
    request.META["lambda.event"] = event
    return request, event


@pytest.mark.parametrize(
    ("sample", "path"),
    [
        ("aws-lambda-go/apigw-request.json", ("identity", "sourceIp")),
        ("powertools/apiGatewayProxyEvent.json", ("identity", "sourceIp")),
        ("aws-lambda-go/apigw-v2-request-no-authorizer.json", ("http", "sourceIp")),
        ("powertools/apiGatewayProxyV2Event.json", ("http", "sourceIp")),
    ],
)
def test_client_ip_is_api_gateways_source_ip_not_a_header(sample, path):
    """A forged X-Forwarded-For (which Zappa copies into REMOTE_ADDR) is ignored."""
    request, event = _zappa_request(sample, "203.0.113.99")
    part, field = path
    expected = event["requestContext"][part][field]
    assert expected and expected != "203.0.113.99"
    assert client_ip(request) == expected


def test_client_ip_off_lambda_is_the_socket_peer():
    """Under runserver or gunicorn the address is REMOTE_ADDR."""
    request = RequestFactory().post(LOGIN, REMOTE_ADDR="192.0.2.5")
    assert client_ip(request) == "192.0.2.5"
