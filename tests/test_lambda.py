"""Zappa's own lambda_handler, driven with real API Gateway and S3 event samples."""

import json
import logging
import re
from urllib.parse import quote

import pytest

from tests.lambda_helpers import (
    MEDIA_ARN,
    ROOT,
    load_event,
    s3_event,
    upload_photo,
)

# Zappa handler, moto Lambda and invoke-recording fixtures.
pytest_plugins = ["tests.lambda_support"]

pytestmark = pytest.mark.django_db(transaction=True)

UPLOAD_KEY = "uploads/Zk3-q_8vT2mXc1LbN0aPwE4r/upload"


def _v1(name):
    def rewrite(event):
        event.update(httpMethod="GET", path="/admin/login/", body=None)
        event["isBase64Encoded"] = False
        return event

    return name, rewrite


def _v2(name, stage=None):
    def rewrite(event):
        path = f"/{stage}/admin/login/" if stage else "/admin/login/"
        event["rawPath"] = path
        event["requestContext"]["http"].update(method="GET", path=path)
        if stage:
            event["requestContext"]["stage"] = stage
        event.update(body=None, isBase64Encoded=False)
        return event

    return name, rewrite


# (sample, rewrite to GET /admin/login/, the prefix Zappa gives SCRIPT_NAME)
LOGIN_REQUESTS = [
    (*_v1("aws-lambda-go/apigw-request.json"), "/dev"),
    (*_v1("powertools/apiGatewayProxyEvent.json"), "/dev"),
    (*_v1("zappa/zappa_v1_testbutton_null_fields.json"), "/dev"),
    (*_v1("zappa/zappa_v1_post_without_body_base64flag.json"), "/dev"),
    (*_v2("aws-lambda-go/apigw-v2-request-no-authorizer.json"), ""),
    (*_v2("powertools/apiGatewayProxyV2Event.json"), ""),
    (*_v2("zappa/zappa_v2_event.json", stage="dev"), "/dev"),
]


@pytest.mark.parametrize(
    ("sample", "rewrite", "script_name"),
    LOGIN_REQUESTS,
    ids=[r[0] for r in LOGIN_REQUESTS],
)
def test_admin_login_answers_through_api_gateway(
    zappa_handler, sample, rewrite, script_name
):
    """A REST (v1) or HTTP API (v2) request for the login page gets the form."""
    response = zappa_handler.lambda_handler(rewrite(load_event(sample)), None)

    assert response["statusCode"] == 200, response.get("body", "")[:2000]
    body = response["body"]
    assert 'id="login-form"' in body
    assert f'action="{script_name}/admin/login/' in body
    assert 'name="username"' in body and 'name="password"' in body
    assert 'href="/dev/static/admin/css/base.css"' in body


def test_static_files_are_served_under_the_stage(zappa_handler):
    """A stylesheet the login page links to (/dev/static/...) comes from WhiteNoise."""
    event = load_event("aws-lambda-go/apigw-request.json")
    # API Gateway strips the stage from a REST request's path.
    event.update(httpMethod="GET", path="/static/admin/css/base.css", body=None)

    response = zappa_handler.lambda_handler(event, None)

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/css")
    assert "body" in response["body"]


def test_compressed_api_answers_cross_api_gateway_as_base64(zappa_handler):
    """gzip bytes are binary: Zappa must base64 them for API Gateway to decode."""
    import base64
    import gzip

    event = load_event("aws-lambda-go/apigw-request.json")
    event.update(httpMethod="GET", path="/api/schema/", body=None)
    event["headers"] = {**event["headers"], "Accept-Encoding": "gzip"}
    event["multiValueHeaders"] = {
        **event.get("multiValueHeaders", {}),
        "Accept-Encoding": ["gzip"],
    }

    response = zappa_handler.lambda_handler(event, None)

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Encoding"] == "gzip"
    assert response["isBase64Encoded"] is True
    document = json.loads(gzip.decompress(base64.b64decode(response["body"])))
    assert "/api/assets/" in document["paths"]


def test_manage_commands_run_through_the_handler(zappa_handler, capsys):
    """`zappa manage dev check` and `migrate --noinput` events run the commands."""
    assert zappa_handler.lambda_handler({"manage": "check"}, None) == {}
    assert "no issues" in capsys.readouterr().out
    assert zappa_handler.lambda_handler({"manage": "migrate --noinput"}, None) == {}


def test_settings_file_has_one_upload_event_per_bucket_and_no_secrets():
    """Each stage subscribes on_upload once per bucket, on uploads/, with no secret."""
    config = json.loads((ROOT / "zappa_settings.json").read_text())
    secret_names = re.compile(r"SECRET|PASSWORD|TOKEN|DATABASE_URL|CLOUDFRONT_KEY$")
    secret_values = re.compile(r"PRIVATE KEY|://[^/@\s]+:[^/@\s]+@|^AKIA|^ASIA")
    for stage in ("dev", "prod"):
        merged = {**config.get(config[stage].get("extends"), {}), **config[stage]}
        assert merged["django_settings"] == "mediahub.settings"
        assert merged["runtime"] == "python3.12"
        assert merged["remote_env"].startswith("s3://")
        assert not merged["slim_handler"] and not merged["debug"]
        uploads = [e for e in merged["events"] if "event_source" in e]
        buckets = [e["event_source"]["arn"] for e in uploads]
        assert len(buckets) == len(set(buckets)) == 1
        (event,) = uploads
        assert event["function"] == "transcoder.aws.events.on_upload"
        assert event["event_source"]["prefix"] == "uploads/"
        assert event["event_source"]["events"] == ["s3:ObjectCreated:*"]
        assert "key_filters" not in event["event_source"]
        env = merged["environment_variables"]
        assert buckets[0] == f"arn:aws:s3:::{env['AWS_STORAGE_BUCKET_NAME']}"
        assert (
            env["MEDIAHUB_TASK_BACKEND"] == "transcoder.aws.task_backends.LambdaBackend"
        )
        for name, value in env.items():
            assert not secret_names.search(name), name
            assert not secret_values.search(value), name


@pytest.fixture
def media_events(zappa_handler, s3):
    """Route S3 events of the test bucket as the dev stage routes its media bucket's."""
    mapping = zappa_handler.settings.AWS_EVENT_MAPPING
    mapping[f"arn:aws:s3:::{s3.bucket}"] = mapping[MEDIA_ARN]
    return zappa_handler


def test_s3_upload_delivered_twice_makes_one_asset_and_one_set_of_renditions(
    media_events, s3, presets
):
    """An ObjectCreated event with a URL-encoded key, delivered twice, acts once."""
    from transcoder.models import Asset, Rendition, RenditionStatus

    data = upload_photo(s3, UPLOAD_KEY)
    # S3 URL-encodes keys in events; encode every reserved character here.
    event = s3_event(s3.bucket, quote(UPLOAD_KEY, safe=""), len(data))
    assert "%2F" in event["Records"][0]["s3"]["object"]["key"]

    first = media_events.lambda_handler(event, None)
    renditions = s3.keys("renditions/")
    second = media_events.lambda_handler(json.loads(json.dumps(event)), None)

    asset = Asset.objects.get()
    assert first == second == [str(asset.pk)]
    assert asset.upload_key == UPLOAD_KEY and asset.bytes == len(data)
    assert len(renditions) == Rendition.objects.count() == 3
    assert set(Rendition.objects.values_list("status", flat=True)) == {
        RenditionStatus.READY
    }
    assert s3.keys("renditions/") == renditions
    assert s3.keys("uploads/") == []
    assert s3.keys("originals/") == [str(asset.original)]


def test_s3_upload_on_lambda_is_transcoded_in_the_same_invocation(
    media_events, s3, presets, monkeypatch, moto_lambda, lambda_invokes
):
    """On Lambda the S3 event builds renditions itself rather than invoking again."""
    from transcoder.models import Rendition, RenditionStatus

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", moto_lambda)
    data = upload_photo(s3, UPLOAD_KEY)

    media_events.lambda_handler(s3_event(s3.bucket, UPLOAD_KEY, len(data)), None)

    assert lambda_invokes == []
    assert Rendition.objects.filter(status=RenditionStatus.READY).count() == 3


def test_s3_object_removed_is_ignored(media_events, s3, presets):
    """A delete event, even for an upload key, changes nothing."""
    from transcoder.models import Asset

    upload_photo(s3, UPLOAD_KEY)
    event = s3_event(s3.bucket, UPLOAD_KEY, 0, "powertools/s3EventDeleteObject.json")
    assert event["Records"][0]["eventName"] == "ObjectRemoved:Delete"

    assert media_events.lambda_handler(event, None) == []
    assert not Asset.objects.exists()
    assert s3.keys("uploads/") == [UPLOAD_KEY]


@pytest.mark.parametrize(
    "key",
    [
        "renditions/0b7c/thumb/3f2a-100.webp",
        "originals/0b7c/9e1d.jpg",
        "uploads2/photo.jpg",
        "uploads/",
        "uploads//photo.jpg",
    ],
)
def test_s3_keys_that_are_not_uploads_are_ignored(media_events, s3, key):
    """Objects outside uploads/, folder markers and odd keys are left alone."""
    from transcoder.models import Asset

    data = upload_photo(s3, key)
    event = s3_event(s3.bucket, quote(key, safe="/").replace("%20", "+"), len(data))

    assert media_events.lambda_handler(event, None) == []
    assert not Asset.objects.exists()
    assert s3.keys() == [key]


def test_refused_upload_is_logged_not_raised(media_events, s3, caplog, request):
    """An upload that is not an image is deleted and logged; Lambda gets no error."""
    from transcoder.models import Asset

    # The handler sets Django up again, and Django's LOGGING replaces the root
    # logger's handlers, caplog's among them.
    logger = logging.getLogger("transcoder.aws.events")
    logger.addHandler(caplog.handler)
    request.addfinalizer(lambda: logger.removeHandler(caplog.handler))

    s3.client.put_object(Bucket=s3.bucket, Key=UPLOAD_KEY, Body=b"<svg></svg>")
    event = s3_event(s3.bucket, UPLOAD_KEY, 11)

    assert media_events.lambda_handler(event, None) == []
    assert not Asset.objects.exists()
    assert s3.keys("uploads/") == []
    assert "was not finalized" in caplog.text


def test_transient_storage_error_is_raised_for_lambda_to_retry(
    media_events, faulty_s3, presets
):
    """S3 unreachable at the upload's check propagates; Lambda's redelivery acts.

    The fault is the first request of the originals' storage (the HeadObject
    of the uploaded object): nothing is made and the upload stays for the
    retry, which makes the asset and its renditions.
    """
    from botocore.exceptions import EndpointConnectionError

    from tests.fixtures_s3 import s3_unreachable
    from transcoder.models import Asset, RenditionStatus

    data = upload_photo(faulty_s3, UPLOAD_KEY)
    event = s3_event(faulty_s3.bucket, UPLOAD_KEY, len(data))
    rule = faulty_s3.fail("*", times=1, fault=s3_unreachable, storage="default")

    with pytest.raises(EndpointConnectionError, match="Could not connect"):
        media_events.lambda_handler(event, None)
    assert rule["seen"] == 1
    assert faulty_s3.operations("default")[0] == "HeadObject"
    assert not Asset.objects.exists()
    assert faulty_s3.keys() == [UPLOAD_KEY]

    (made,) = media_events.lambda_handler(event, None)
    asset = Asset.objects.get()
    assert made == str(asset.pk)
    assert set(asset.renditions.values_list("status", flat=True)) == {
        RenditionStatus.READY
    }
    assert len(faulty_s3.keys("renditions/")) == asset.renditions.count() == 3


def test_build_fault_on_s3_event_is_raised_and_a_redelivery_finishes(
    media_events, faulty_s3, presets, settings, monkeypatch, moto_lambda, lambda_invokes
):
    """S3 down while building: the event fails for Lambda to retry; the retry builds.

    One delivery makes two attempts and leaves the rest of MAX_ATTEMPTS to
    Lambda's redelivery, which finds the asset made and finishes its renditions.
    """
    from transcoder.models import Asset, Rendition, RenditionStatus

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", moto_lambda)
    settings.MEDIAHUB_MAX_ATTEMPTS = 4
    data = upload_photo(faulty_s3, UPLOAD_KEY)
    event = s3_event(faulty_s3.bucket, UPLOAD_KEY, len(data))
    faulty_s3.state.update(failures=2)
    with pytest.raises(Exception, match="InternalError"):
        media_events.lambda_handler(event, None)
    asset = Asset.objects.get()
    assert set(asset.renditions.values_list("status", flat=True)) == {"failed"}
    assert faulty_s3.sleeps == [0.5]

    assert media_events.lambda_handler(event, None) == [str(asset.pk)]
    assert Asset.objects.count() == 1
    rows = Rendition.objects.filter(asset=asset)
    assert {r.status for r in rows} == {RenditionStatus.READY}
    assert {r.attempts for r in rows} == {3}
    assert len(faulty_s3.keys("renditions/")) == rows.count() == 3
    assert lambda_invokes == []


def test_file_copied_into_uploads_by_hand_becomes_a_named_asset(
    media_events, s3, presets
):
    """The AWS sample's "Happy Face.jpg", put under uploads/, is made an asset.

    Anything that lands under uploads/ (the AWS CLI, a sync job) is checked
    like any upload; its key's file name becomes the title, never a stored name.
    """
    from transcoder.models import Asset, RenditionStatus

    key = "uploads/Happy Face.jpg"
    data = upload_photo(s3, key)
    event = load_event("aws-lambda-go/s3-event.json")
    obj = event["Records"][0]["s3"]
    obj["bucket"].update(name=s3.bucket, arn=f"arn:aws:s3:::{s3.bucket}")
    obj["object"].update(key="uploads/" + obj["object"]["key"], size=len(data))
    assert obj["object"]["key"] == "uploads/Happy%20Face.jpg"

    first = media_events.lambda_handler(event, None)
    second = media_events.lambda_handler(json.loads(json.dumps(event)), None)

    asset = Asset.objects.get()
    assert first == second == [str(asset.pk)]
    assert (asset.title, asset.original_filename) == ("Happy Face", "Happy Face.jpg")
    assert "Happy" not in asset.original
    assert set(asset.renditions.values_list("status", flat=True)) == {
        RenditionStatus.READY
    }
    assert s3.keys("uploads/") == []


def _planted_keys(asset):
    """Return the reported attack's keys aimed at an asset's original and rendition."""
    original = asset.original.replace("/", "\\")
    rendition = asset.renditions.exclude(name="").first().name.replace("/", "\\")
    return {
        "original": f"uploads/..\\{original}",
        "rendition": f"uploads/..\\{rendition}",
    }


@pytest.mark.parametrize("target", ["original", "rendition"])
def test_backslash_key_cannot_reach_another_assets_objects(
    media_events, s3, presets, jpeg, target, caplog, request
):
    """uploads/..\\originals\\<id>\\<hash>.jpg is ignored: the target survives.

    django-storages' clean_name would turn the key into originals/<id>/... and
    make an asset of (then delete) another asset's original or rendition. The
    event is logged and ignored, and neither object is touched, not even by
    purge_orphans days later.
    """
    from datetime import timedelta

    from django.utils import timezone

    from transcoder import services
    from transcoder.models import Asset

    logger = logging.getLogger("transcoder.aws.events")
    logger.addHandler(caplog.handler)
    request.addfinalizer(lambda: logger.removeHandler(caplog.handler))
    victim = services.asset_create(content=jpeg, filename="victim.jpg")
    planted = _planted_keys(victim)[target]
    data = upload_photo(s3, planted)
    before = {
        k: s3.client.get_object(Bucket=s3.bucket, Key=k)["Body"].read()
        for k in s3.keys()
    }
    # S3 URL-encodes the key in the event; "\" arrives as %5C.
    event = s3_event(s3.bucket, quote(planted, safe="/"), len(data))
    assert "%5C" in event["Records"][0]["s3"]["object"]["key"]

    assert media_events.lambda_handler(event, None) == []
    assert list(Asset.objects.values_list("pk", flat=True)) == [victim.pk]
    after = {
        k: s3.client.get_object(Bucket=s3.bucket, Key=k)["Body"].read()
        for k in s3.keys()
    }
    assert after == before
    assert "not an upload key" in caplog.text

    services.orphans_purge(now=timezone.now() + timedelta(days=3))
    assert set(s3.keys()) == set(before)


@pytest.mark.parametrize(
    "key",
    [
        "uploads/a\\..\\..\\x",
        "uploads/%2e%2e/x",
        "uploads/./x",
        "Uploads/..\\originals\\x.jpg",
        "uploads/\uff0e\uff0e/x.jpg",
        "uploads/\u2024\u2024/x.jpg",
        "uploads/a\u202e.jpg",
    ],
    ids=ascii,
)
def test_odd_upload_keys_are_ignored_and_kept(media_events, s3, presets, key):
    """Variants of the backslash trick make no asset and no object moves."""
    from transcoder.models import Asset

    upload_photo(s3, key)
    event = s3_event(s3.bucket, quote(key, safe="/"), 1000)
    assert media_events.lambda_handler(event, None) == []
    assert not Asset.objects.exists()
    assert s3.keys() == [key]


def _login_event(password, forwarded_for, csrf="c" * 32):
    """A form POST to /dev/admin/login/ through API Gateway (REST, v1 sample)."""
    from urllib.parse import urlencode

    event = load_event("aws-lambda-go/apigw-request.json")
    host = event["headers"]["Host"]
    headers = {
        "Host": host,
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={csrf}",
        "Referer": f"https://{host}/dev/admin/login/",
        "X-Forwarded-For": forwarded_for,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "443",
    }
    body = urlencode(
        {"csrfmiddlewaretoken": csrf, "username": "admin", "password": password}
    )
    event.update(
        httpMethod="POST",
        path="/admin/login/",
        resource="/{proxy+}",
        headers=headers,
        multiValueHeaders={k: [v] for k, v in headers.items()},
        queryStringParameters=None,
        multiValueQueryStringParameters=None,
        body=body,
        isBase64Encoded=False,
    )
    event["requestContext"]["identity"]["sourceIp"] = "198.51.100.23"
    return event


def test_login_lockout_through_api_gateway_ignores_forged_forwarded_for(
    zappa_handler, settings
):
    """Rotating X-Forwarded-For does not reset the count: sourceIp is the address."""
    from axes.models import AccessAttempt
    from django.contrib.auth.models import User

    User.objects.create_superuser("admin", password="the-right-password-1")
    statuses = [
        zappa_handler.lambda_handler(
            _login_event(f"guess-{n}", f"203.0.113.{n}, 198.51.100.23"), None
        )["statusCode"]
        for n in range(6)
    ]
    assert statuses == [200, 200, 200, 200, 429, 429]
    right = _login_event("the-right-password-1", "203.0.113.77, 198.51.100.23")
    assert zappa_handler.lambda_handler(right, None)["statusCode"] == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [
        "198.51.100.23"
    ]


def test_s3_event_finalizes_a_key_minted_for_an_editor(media_events, s3, presets):
    """The event has no user, yet finalizes a key as the editor it was minted for."""
    from django.contrib.auth.models import Permission, User

    from transcoder import services
    from transcoder.models import Asset
    from transcoder.storage import keys

    editor = User.objects.create_user("editor", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="add_asset"))
    inbox = services.collection_default()
    key = keys.upload_key_mint(user=editor, collection=inbox)
    data = upload_photo(s3, key)
    event = s3_event(s3.bucket, quote(key, safe=""), len(data))

    (asset_id,) = media_events.lambda_handler(event, None)
    asset = Asset.objects.get(pk=asset_id)
    assert asset.upload_key == key and asset.original_filename == ""
    assert (asset.uploaded_by, asset.collection) == (editor, inbox)
    assert s3.keys("uploads/") == []
