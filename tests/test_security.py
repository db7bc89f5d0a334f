"""Security: CSRF, file names, headers, secrets and private metadata.

Who may reach which route is proven route by route in tests/test_doors.py.
"""

import io
import re
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.doors_site import ADMIN_ROWS
from tests.knock import Ctx
from tests.snapshots import snapshot
from transcoder import services
from transcoder.models import Asset

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]

HOSTILE_NAMES = [
    "../../etc/passwd.jpg",
    "/etc/shadow.jpg",
    "C:\\Windows\\win.ini.jpg",
    "a\x00b.jpg",
    "x" * 300 + ".jpg",
    "\u202egpj.exe",
    "<script>alert(1)</script>.jpg",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_upload_names_never_become_storage_keys(
    admin_client, presets, jpeg, name, django_capture_on_commit_callbacks
):
    """The stored key is made by the server; the name is only kept as metadata."""
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:transcoder_asset_upload_file"),
            {"file": SimpleUploadedFile(name, jpeg)},
        )
    assert response.status_code == 201, response.content
    asset = Asset.objects.get()
    assert re.fullmatch(rf"originals/{asset.pk}/[0-9a-f]{{16}}\.jpg", asset.original)
    assert len(asset.original_filename) <= 255
    assert asset.renditions.count() == 3
    for row in asset.renditions.all():
        assert re.fullmatch(
            rf"renditions/{asset.pk}/[a-z]+/[0-9a-f]{{16}}-\d+\.(jpg|webp)", row.name
        )


def test_served_files_carry_nosniff_and_a_restrictive_csp(
    client, admin_client, presets, jpeg, django_capture_on_commit_callbacks
):
    """Renditions and originals are served with nosniff and a sandboxing CSP."""
    from transcoder.delivery import serving

    with django_capture_on_commit_callbacks(execute=True):
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    rendition = asset.renditions.first()
    responses = [
        client.get(serving.rendition_url(rendition)),
        admin_client.get(reverse("admin:transcoder_asset_original", args=[asset.pk])),
    ]
    for response in responses:
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        csp = response["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "sandbox" in csp
        assert "script-src" not in csp


def test_admin_pages_forbid_framing_and_sniffing(admin_client):
    """Admin pages are never framed and never content-sniffed."""
    response = admin_client.get("/admin/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


# -- secrets -----------------------------------------------------------------

SECRET_PATTERNS = [
    re.compile(rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    re.compile(rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(rb"(?i)aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}\b"),
    re.compile(rb"(?i)secret_key\s*=\s*['\"](?!django-insecure)[^'\"]{30,}['\"]"),
]


def _secrets_in(data):
    return [p.pattern for p in SECRET_PATTERNS if p.search(data)]


def test_the_secret_scanner_finds_planted_secrets():
    """The scanner below catches each kind of secret it looks for."""
    # Split, so that this file does not hold the secrets it plants.
    planted = [
        b"-----BEGIN RSA " + b"PRIVATE KEY-----\nMIIE",
        b"key = 'AKIA" + b"IOSFODNN7EXAMPLE'",
        b"aws_secret_" + b"access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        b"SECRET_" + b"KEY = 'q8#f$-a-real-production-secret-key-value-123'",
    ]
    for data in planted:
        assert _secrets_in(data), data


def test_no_secret_is_committed():
    """No tracked file holds a private key, an AWS key or a production secret."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    found = {}
    for name in filter(None, files):
        path = ROOT / name.decode()
        if path.is_file():
            hits = _secrets_in(path.read_bytes())
            if hits:
                found[name.decode()] = hits
    assert found == {}


# -- privacy -----------------------------------------------------------------


def _camera_jpeg():
    """Return a JPEG with GPS, a camera maker note, XMP and a comment."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 7.5), 3: "E", 4: (4.0, 53.0, 1.25)}
    exif.get_ifd(0x8769)[0x927C] = b"SECRET-MAKERNOTE-SERIAL-1234"
    xmp = b'<x:xmpmeta><rdf:Description photoshop:City="SECRET-CITY"/></x:xmpmeta>'
    image = Image.new("RGB", (120, 80), (10, 120, 200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), xmp=xmp, comment=b"SECRET-COMMENT")
    return buffer.getvalue()


def test_renditions_carry_no_private_metadata_and_the_original_is_kept(
    presets, media_root, django_capture_on_commit_callbacks
):
    """Renditions carry no GPS, maker note, XMP or comment; the original is whole.

    Only staff, or a signed URL, can reach the files.
    """
    from PIL import Image

    data = _camera_jpeg()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    with django_capture_on_commit_callbacks(execute=True):
        asset = services.asset_create(content=data, filename="holiday.jpg")
    assert (media_root / asset.original).read_bytes() == data
    rows = list(asset.renditions.all())
    assert rows
    for row in rows:
        output = (media_root / row.name).read_bytes()
        assert b"SECRET" not in output and b"SpyCam" not in output
        image = Image.open(io.BytesIO(output))
        assert not image.getexif()
        assert not image.info.get("xmp") and not image.info.get("comment")
    anonymous = Client()
    original_url = reverse("admin:transcoder_asset_original", args=[asset.pk])
    refused = anonymous.get(original_url)
    assert refused.status_code == 302
    assert refused["Location"].startswith("/admin/login/?next=")
    assert data not in b"".join(
        getattr(refused, "streaming_content", [refused.content])
    )
    assert anonymous.get(f"/media/{rows[0].name}").status_code == 403


# -- CSRF ------------------------------------------------------------------------
# Last in the module: the door library (tests/fixtures_doors.py) lives in a
# transaction until the module ends, and the tests above want an empty one.


@pytest.fixture
def door_media(door_files):
    return door_files


CSRF_CASES = [
    pytest.param(row.key, probe, id=f"{row.key} {probe.name}")
    for row in ADMIN_ROWS
    for probe in row.probes
    if probe.method != "GET"
]


def test_the_csrf_table_has_every_state_changing_door():
    """The CSRF cases come from the door table: every admin POST is in it."""
    assert len(CSRF_CASES) >= 18


@pytest.mark.parametrize(("key", "probe"), CSRF_CASES)
def test_state_changing_endpoints_need_csrf(
    door_world, door_media, django_capture_on_commit_callbacks, key, probe
):
    """Without a CSRF token every admin POST is refused with 403 and changes
    nothing, even for a superuser who could otherwise do it."""
    target = probe.targets[0]
    c = Ctx(
        door_world,
        "superuser",
        target,
        "admin",
        django_capture_on_commit_callbacks,
        csrf=True,
    )
    if probe.prepare:
        c.prepared = probe.prepare(c)
    before = snapshot(door_media)
    response = probe.call(c)
    assert response.request["REQUEST_METHOD"] == probe.method
    assert response.status_code == 403, (key, probe.name)
    assert b"CSRF" in c.raw(response)
    assert snapshot(door_media) == before
