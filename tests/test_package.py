"""The built Lambda zip, unpacked and driven through its own handler.lambda_handler.

Opt-in, since building takes minutes: MEDIAHUB_PACKAGE_TESTS=1. The zip is
dist/mediahub-dev.zip, made by `make package` when missing. A fresh interpreter
with no site-packages imports the unpacked handler, as Lambda would, with moto
standing in for S3 and the stage's remote_env object holding the secrets.
"""

import json
import os
import subprocess
import sys
import textwrap
import uuid
import zipfile

import pytest

from tests.lambda_helpers import EVENTS, ROOT, upload_photo

pytestmark = [
    pytest.mark.s3,
    pytest.mark.skipif(
        os.environ.get("MEDIAHUB_PACKAGE_TESTS") != "1",
        reason="set MEDIAHUB_PACKAGE_TESTS=1 to build and drive the Lambda zip",
    ),
]

ZIP = ROOT / "dist" / "mediahub-dev.zip"
MEDIA_BUCKET = "mediahub-dev-media"
CONFIG_BUCKET = "mediahub-dev-config"

DRIVER = textwrap.dedent(
    """
    import json, os, sys, time
    sys.path.insert(0, os.getcwd())
    events = sys.argv[1]
    upload_key = sys.argv[2]
    started = time.perf_counter()
    import handler
    imported = time.perf_counter()
    login = json.load(open(os.path.join(events, "aws-lambda-go/apigw-request.json")))
    login.update(httpMethod="GET", path="/admin/login/", body=None)
    page = handler.lambda_handler(login, None)
    answered = time.perf_counter()
    migrate = handler.lambda_handler({"manage": "migrate --noinput"}, None)
    s3 = json.load(open(os.path.join(events, "aws-lambda-go/s3-event.json")))
    obj = s3["Records"][0]["s3"]
    bucket = "mediahub-dev-media"
    obj["bucket"].update(name=bucket, arn="arn:aws:s3:::" + bucket)
    obj["object"]["key"] = upload_key.replace("/", "%2F")
    first = handler.lambda_handler(s3, None)
    second = handler.lambda_handler(s3, None)
    print(json.dumps({
        "import": imported - started,
        "first_request": answered - imported,
        "status": page["statusCode"],
        "body": page.get("body", ""),
        "migrate": migrate,
        "first": first,
        "second": second,
        "site_packages": [p for p in sys.path if "site-packages" in p],
    }))
    """
)


@pytest.fixture(scope="module")
def package():
    if not ZIP.exists():
        subprocess.run(["make", "package"], cwd=ROOT, check=True)
    return ZIP


def test_zip_fits_lambda_limits(package):
    """The zip is at most 50 MiB, and 200 MiB unpacked."""
    with zipfile.ZipFile(package) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        names = set(archive.namelist())
    assert package.stat().st_size <= 50 * 2**20
    assert unpacked <= 200 * 2**20
    assert {"handler.py", "zappa_settings.py", "staticfiles/staticfiles.json"} <= names
    assert not any(n.startswith(("tests/", "bench/", "infra/", ".venv")) for n in names)
    # The German admin: mediahub's catalogue and Django's own (LANGUAGES).
    assert {
        "locale/de/LC_MESSAGES/django.mo",
        "django/conf/locale/de/LC_MESSAGES/django.mo",
        "django/contrib/admin/locale/de/LC_MESSAGES/django.mo",
    } <= names
    assert "django/contrib/admin/locale/fr/LC_MESSAGES/django.mo" not in names


def test_unpacked_handler_serves_admin_and_transcodes_uploads(
    package, moto_endpoint, tmp_path
):
    """Login page, migrate and an S3 upload event delivered twice, from the zip."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="eu-west-1")
    for bucket in (MEDIA_BUCKET, CONFIG_BUCKET):
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
    remote_env = {
        "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'lambda.sqlite3'}",
    }
    s3.put_object(
        Bucket=CONFIG_BUCKET, Key="remote_env.json", Body=json.dumps(remote_env)
    )
    key = f"uploads/{uuid.uuid4().hex}/upload"
    upload_photo(type("S3", (), {"client": s3, "bucket": MEDIA_BUCKET}), key)
    unpacked = tmp_path / "task"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(unpacked)
    (tmp_path / "driver.py").write_text(DRIVER)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "DJANGO_SUPERUSER_PASSWORD": uuid.uuid4().hex,
        "DJANGO_SUPERUSER_USERNAME": "admin",
    }
    try:
        run = subprocess.run(
            [sys.executable, "-S", str(tmp_path / "driver.py"), str(EVENTS), key],
            cwd=unpacked,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-4000:]
        result = json.loads(run.stdout.strip().splitlines()[-1])
        renditions = _keys(s3, MEDIA_BUCKET, "renditions/")
        uploads = _keys(s3, MEDIA_BUCKET, "uploads/")
    finally:
        for bucket in (MEDIA_BUCKET, CONFIG_BUCKET):
            _delete_bucket(s3, bucket)

    print(
        f"\ncold start: import {result['import']:.2f}s, "
        f"first GET /admin/login/ {result['first_request']:.2f}s"
    )
    assert result["site_packages"] == []
    assert result["status"] == 200
    assert 'id="login-form"' in result["body"]
    assert "/dev/static/admin/css/base." in result["body"]
    assert result["migrate"] == {}
    assert len(result["first"]) == 1 and result["first"] == result["second"]
    # Once: one object per spec of the starter presets that migrate seeded.
    from transcoder.models import Preset
    from transcoder.starter_presets import STARTER_PRESETS

    specs = sum(len(Preset(**fields).specs()) for fields in STARTER_PRESETS)
    assert len(renditions) == specs
    assert uploads == []


def _keys(client, bucket, prefix):
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix
    )
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def _delete_bucket(client, bucket):
    pages = client.get_paginator("list_object_versions").paginate(Bucket=bucket)
    for page in pages:
        for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
            client.delete_object(
                Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"]
            )
    client.delete_bucket(Bucket=bucket)
