"""S3 through moto's server mode: real HTTP on 127.0.0.1, a fresh bucket per test."""

import os
import uuid
from types import SimpleNamespace

import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError
from django.core.files.storage import storages

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


@pytest.fixture
def faulty_s3(s3, settings, monkeypatch):
    """S3 on moto whose rendition PUTs fail a set number of times, then succeed.

    botocore's own retries are off so each fault reaches mediahub once, and
    the task's backoff sleeps are recorded rather than slept.
    """
    options = settings.STORAGES["renditions"]["OPTIONS"]
    options["client_config"] = Config(retries={"total_max_attempts": 1})
    settings.STORAGES = {**settings.STORAGES}
    client = storages["renditions"].connection.meta.client
    state = {"failures": 0, "fault": s3_error, "seen": 0}

    def before_send(request, **kwargs):
        if state["failures"] > 0:
            state["failures"] -= 1
            state["seen"] += 1
            return state["fault"](request)
        return None

    client.meta.events.register("before-send.s3.PutObject", before_send)
    from transcoder import tasks

    sleeps = []
    monkeypatch.setattr(tasks.time, "sleep", sleeps.append)
    s3.state, s3.sleeps = state, sleeps
    return s3
