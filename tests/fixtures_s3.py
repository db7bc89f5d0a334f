"""S3 through moto's server mode: real HTTP on 127.0.0.1, a fresh bucket per test."""

import functools
import os
import threading
import uuid
from types import SimpleNamespace

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

REGION = "eu-west-1"


@pytest.fixture(scope="session")
def moto_endpoint():
    """Start one moto S3 server for the session and return its URL."""
    from moto.moto_server import werkzeug_app
    from moto.server import ThreadedMotoServer

    # moto answers CORS for every origin unless told not to; the bucket's own
    # CORS rules must decide, as on S3.
    werkzeug_app.DISABLE_GLOBAL_CORS = True
    _apply_bucket_cors_to_post_object()

    # Dummy credentials: botocore signs every request, moto accepts any key.
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S105
        AWS_DEFAULT_REGION=REGION,
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _apply_bucket_cors_to_post_object():
    """Make moto answer a browser's POST Object with the bucket's CORS headers.

    S3 applies the bucket's CORS rules to every response. moto 5.2 does so for
    preflights, GET and PUT, but not for the form POST a presigned-POST upload
    makes, so a browser could not read the status of an upload S3 would accept.
    The rules themselves are still moto's own matching of the bucket's CORS.
    """
    from moto.s3.responses import S3Response

    if getattr(S3Response, "_mediahub_post_cors", False):
        return
    post_object = S3Response._bucket_response_post

    def with_cors(self, request, bucket_name):
        status, headers, body = post_object(self, request, bucket_name)
        return status, {**self._get_cors_headers_other(), **headers}, body

    S3Response._bucket_response_post = with_cors
    S3Response._mediahub_post_cors = True


@pytest.fixture
def s3_env(moto_endpoint):
    """Return the environment of an S3 deployment pointed at a fresh bucket."""
    import boto3

    bucket = f"media-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION)
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    client.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    return {
        "MEDIAHUB_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": moto_endpoint,
        "AWS_S3_REGION_NAME": REGION,
    }


def _switch_to_s3(settings, env):
    from mediahub.storages import s3_storages

    settings.MEDIAHUB_STORAGE = "s3"
    # Only the storage options, as in production: AWS_* Django settings would
    # also reach the originals' storage and hide a misconfiguration.
    settings.STORAGES = {**settings.STORAGES, **s3_storages(env)}


@pytest.fixture
def s3(s3_env, settings):
    """Switch both storage aliases to S3 on moto, as MEDIAHUB_STORAGE=s3 would."""
    import boto3

    _switch_to_s3(settings, s3_env)
    client = boto3.client(
        "s3", endpoint_url=s3_env["AWS_S3_ENDPOINT_URL"], region_name=REGION
    )
    bucket = s3_env["AWS_STORAGE_BUCKET_NAME"]

    def keys(prefix=""):
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix
        )
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    return SimpleNamespace(
        client=client,
        bucket=bucket,
        env=s3_env,
        endpoint=s3_env["AWS_S3_ENDPOINT_URL"],
        keys=keys,
    )


@pytest.fixture
def cloudfront_key():
    """Return a fresh RSA key pair (PEM private key, public key) for CloudFront."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return SimpleNamespace(
        pem=pem, public_key=key.public_key(), key_id="K2JCJMDEHXQW5F"
    )


@pytest.fixture
def s3_cloudfront(s3, settings, cloudfront_key):
    """S3 storage with CloudFront signed URLs on a custom domain."""
    env = s3.env | {
        "AWS_S3_CUSTOM_DOMAIN": "media.example.test",
        "AWS_CLOUDFRONT_KEY_ID": cloudfront_key.key_id,
        "AWS_CLOUDFRONT_KEY": cloudfront_key.pem,
    }
    _switch_to_s3(settings, env)
    s3.env = env
    s3.key = cloudfront_key
    return s3


class _Raw:
    """The raw body botocore reads from a response."""

    def __init__(self, body):
        self._body = body

    def stream(self, **kwargs):
        yield self._body


def s3_error(request):
    """Answer a request with S3's 500 InternalError."""
    body = b"<Error><Code>InternalError</Code><Message>We broke</Message></Error>"
    return AWSResponse(request.url, 500, {}, _Raw(body))


def s3_timeout(request):
    """Fail a request with a read time-out."""
    raise ReadTimeoutError(endpoint_url=request.url)


def s3_unreachable(request):
    """Fail a request as if S3 could not be reached at all."""
    raise EndpointConnectionError(endpoint_url=request.url)


class S3Faults:
    """Faults met by the app's own S3 requests, matched by storage and operation.

    ``before_send`` runs in botocore's ``before-send`` event of every client the
    storages make, just before the request would go on the wire: a rule that
    matches answers instead of moto (an S3 error) or raises (a time-out).
    """

    def __init__(self):
        self.rules = []
        self.requests = []  # (storage alias, operation) of every request sent
        self._lock = threading.Lock()

    def fail(self, operation, *, times=1, fault=s3_error, storage=None):
        """Fail the next ``times`` ``operation`` requests with ``fault``.

        ``operation`` is botocore's name (``"GetObject"``, ``"HeadObject"``,
        ``"DeleteObject"``, ``"CopyObject"``, ``"ListObjectsV2"``...) or
        ``"*"`` for any; ``storage`` limits the rule to one alias
        (``"default"`` or ``"renditions"``). Return the rule: a dict whose
        ``failures`` counts down and whose ``seen`` counts the faults served,
        and which a test may update (``rule["failures"] = 0`` ends an outage).
        """
        rule = {
            "operation": operation,
            "storage": storage,
            "failures": times,
            "fault": fault,
            "seen": 0,
        }
        with self._lock:
            self.rules.append(rule)
        return rule

    def operations(self, storage=None):
        """Return the operations sent so far, of one alias or of both."""
        return [op for alias, op in self.requests if storage in (None, alias)]

    def before_send(self, alias, request, event_name, **kwargs):
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            self.requests.append((alias, operation))
            rule = next((r for r in self.rules if _matches(r, alias, operation)), None)
            if rule is None:
                return None
            rule["failures"] -= 1
            rule["seen"] += 1
        return rule["fault"](request)


def _matches(rule, alias, operation):
    return (
        rule["failures"] > 0
        and rule["operation"] in ("*", operation)
        and rule["storage"] in (None, alias)
    )


@pytest.fixture
def faulty_s3(s3, settings, monkeypatch):
    """S3 on moto whose requests from the app fail on demand, then succeed.

    Every boto3 session django-storages makes (both storage aliases, in any
    thread, and so also the client ``services.assets.objects`` and the presigned
    POST use) gets ``S3Faults.before_send`` on its event system, so a fault
    travels up through botocore, s3transfer and django-storages as a real
    one would. The test's own ``faulty_s3.client`` is never faulted.

    - ``faulty_s3.fail("GetObject", times=1, fault=s3_timeout, storage="default")``
      arms a rule; ``faulty_s3.requests`` lists ``(alias, operation)`` sent.
    - ``faulty_s3.state`` is a standing rule for the renditions' PutObject
      with no failures yet: ``state.update(failures=2)`` arms it.

    botocore's own retries are off (``AWS_MAX_ATTEMPTS=1``, read by each new
    session) so each fault reaches mediahub once, and the task's backoff
    sleeps are recorded rather than slept.
    """
    from storages.backends.s3 import S3Storage

    from transcoder import tasks

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    faults = S3Faults()
    aliases = {config["BACKEND"]: alias for alias, config in settings.STORAGES.items()}
    make_session = S3Storage._create_session

    def session_with_faults(storage):
        session = make_session(storage)
        backend = f"{type(storage).__module__}.{type(storage).__qualname__}"
        alias = aliases.get(backend, backend)
        session.events.register(
            "before-send.s3", functools.partial(faults.before_send, alias)
        )
        return session

    monkeypatch.setattr(S3Storage, "_create_session", session_with_faults)
    # Storages made from now on, so none holds a client from before the hook.
    settings.STORAGES = {**settings.STORAGES}
    sleeps = []
    monkeypatch.setattr(tasks.time, "sleep", sleeps.append)
    s3.faults, s3.fail = faults, faults.fail
    s3.requests, s3.operations = faults.requests, faults.operations
    s3.state = faults.fail("PutObject", times=0, storage="renditions")
    s3.sleeps = sleeps
    return s3
