"""Security: permissions on every admin view, CSRF, file names, headers, secrets."""

import io
import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.images import make_image
from transcoder import services
from transcoder.admin import AssetAdmin
from transcoder.models import ApiToken, Asset, Preset, Rendition

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[1]

ROLES = {
    "anonymous": None,
    "staff": [],
    "view-only": ["view_asset", "view_preset"],
    "add-only": ["add_asset", "add_preset"],
    "change": ["change_asset", "change_preset"],
    "superuser": "all",
}


def _client(role):
    client = Client()
    perms = ROLES[role]
    if perms is None:
        return client
    user = User.objects.create_user(
        role, password="pw", is_staff=True, is_superuser=perms == "all"
    )
    if perms != "all":
        user.user_permissions.add(*Permission.objects.filter(codename__in=perms))
    client.force_login(user)
    return client


def _may(role, need):
    """Tell whether ``role`` holds the permission an endpoint needs."""
    perms = ROLES[role]
    if perms is None:
        return False
    if perms == "all":
        return True
    if need.startswith("view_"):
        # Django lets a change permission view, too.
        return need in perms or need.replace("view_", "change_") in perms
    return need in perms


def _denied(response):
    """Tell whether the admin refused: 403, a redirect to the login page, or the
    admin's HTML 404 for an asset the user may not see (a JSON 404 is an answer,
    such as an upload that is not there)."""
    if response.status_code == 403:
        return True
    if response.status_code == 404 and "html" in response.get("Content-Type", ""):
        return True
    return response.status_code == 302 and "/login/" in response.get("Location", "")


def _asset_urls(asset):
    return {
        "changelist": reverse("admin:transcoder_asset_changelist"),
        "change": reverse("admin:transcoder_asset_change", args=[asset.pk]),
        "delete": reverse("admin:transcoder_asset_delete", args=[asset.pk]),
        "upload": reverse("admin:transcoder_asset_upload"),
        "upload_file": reverse("admin:transcoder_asset_upload_file"),
        "original": reverse("admin:transcoder_asset_original", args=[asset.pk]),
        "presign": reverse("admin:transcoder_asset_upload_presign"),
        "finalize": reverse("admin:transcoder_asset_upload_finalize"),
        "status": reverse("admin:transcoder_asset_status"),
        "gallery": reverse("admin:transcoder_asset_gallery", args=[asset.pk]),
        "replace": reverse("admin:transcoder_asset_replace", args=[asset.pk]),
        "tags": reverse("admin:transcoder_asset_tags"),
    }


# endpoint, the permission it needs, how to call it, what it did (None: look
# at the answer only)
ENDPOINTS = [
    ("asset list", "view_asset", lambda c, u, a: c.get(u["changelist"]), None),
    ("asset page", "view_asset", lambda c, u, a: c.get(u["change"]), None),
    ("original", "view_asset", lambda c, u, a: c.get(u["original"]), None),
    (
        "asset status",
        "view_asset",
        lambda c, u, a: c.get(u["status"], {"ids": str(a.pk)}),
        None,
    ),
    ("asset gallery", "view_asset", lambda c, u, a: c.get(u["gallery"]), None),
    ("tag suggestions", "view_asset", lambda c, u, a: c.get(u["tags"]), None),
    (
        "add tags action",
        "change_asset",
        lambda c, u, a: c.post(
            u["changelist"],
            {
                "action": "add_tags",
                "_selected_action": [a.pk],
                "apply": "1",
                "tags": "secret",
            },
        ),
        lambda a: Asset.objects.get(pk=a.pk).tags.filter(name="secret").exists(),
    ),
    (
        "bulk delete action",
        "delete_asset",
        lambda c, u, a: c.post(
            u["changelist"],
            {
                "action": "delete_in_background",
                "_selected_action": [a.pk],
                "apply": "1",
            },
        ),
        lambda a: not Asset.objects.filter(pk=a.pk).exists(),
    ),
    ("upload page", "add_asset", lambda c, u, a: c.get(u["upload"]), None),
    (
        "upload file",
        "add_asset",
        lambda c, u, a: c.post(
            u["upload_file"],
            {"file": SimpleUploadedFile("x.png", make_image("PNG"))},
        ),
        lambda a: Asset.objects.count() == 2,
    ),
    (
        "replace file",
        "change_asset",
        lambda c, u, a: c.post(
            u["replace"],
            {"file": SimpleUploadedFile("x.png", make_image("PNG"))},
        ),
        lambda a: Asset.objects.get(pk=a.pk).format == "png",
    ),
    (
        "restore version",
        "change_asset",
        lambda c, u, a: c.post(_restore_url(a)),
        lambda a: Asset.objects.get(pk=a.pk).format == "jpeg",
    ),
    (
        "asset save",
        "change_asset",
        lambda c, u, a: c.post(u["change"], {"title": "changed", "alt_text": ""}),
        lambda a: Asset.objects.get(pk=a.pk).title == "changed",
    ),
    (
        "regenerate action",
        "change_asset",
        lambda c, u, a: c.post(
            u["changelist"],
            {"action": "regenerate_renditions", "_selected_action": [a.pk]},
        ),
        lambda a: max(Rendition.objects.values_list("attempts", flat=True)) == 2,
    ),
    (
        "asset delete",
        "delete_asset",
        lambda c, u, a: c.post(u["delete"], {"post": "yes"}),
        lambda a: not Asset.objects.filter(pk=a.pk).exists(),
    ),
    (
        "presign",
        "add_asset",
        lambda c, u, a: c.post(u["presign"], {"content_type": "image/png"}),
        None,
    ),
    (
        "finalize",
        "add_asset",
        lambda c, u, a: c.post(u["finalize"], {"key": "x"}),
        None,
    ),
    (
        "preset add",
        "add_preset",
        lambda c, u, a: c.get(reverse("admin:transcoder_preset_add")),
        None,
    ),
    (
        "preset change",
        "change_preset",
        lambda c, u, a: c.post(
            reverse("admin:transcoder_preset_change", args=[_preset("card").pk]),
            {
                "name": "Renamed",
                "slug": "card",
                "fit": "contain",
                "width": 300,
                "height": 300,
                "widths": "",
                "formats": ["jpeg"],
                "quality": 80,
                "background": "#ffffff",
                "active": "on",
            },
        ),
        lambda a: _preset("card").name == "Renamed",
    ),
    (
        "preset preview",
        "change_preset",
        lambda c, u, a: c.post(
            reverse(
                "admin:transcoder_preset_preview_change", args=[_preset("card").pk]
            ),
            {
                "name": "Card",
                "slug": "card",
                "fit": "contain",
                "width": 200,
                "height": 300,
                "widths": "",
                "formats": ["jpeg"],
                "quality": 80,
                "background": "#ffffff",
                "active": "on",
                "sample": str(a.pk),
            },
        ),
        None,
    ),
]


def _restore_url(asset):
    """Replace the file by hand, and return the URL restoring the first one."""
    services.asset_replace(asset=asset, content=make_image("PNG"))
    version = asset.versions.get()
    return reverse("admin:transcoder_asset_restore", args=[asset.pk, version.pk])


def _preset(slug):
    return Preset.objects.get(slug=slug)


def test_every_custom_admin_url_is_in_the_matrix():
    """A new admin view cannot slip in without a row in the permission matrix."""
    from django.contrib import admin

    names = {p.name for p in AssetAdmin(Asset, admin.site).get_urls() if p.name}
    custom = {n for n in names if n.startswith("transcoder_asset_")}
    covered = {
        "transcoder_asset_" + k for k in ("upload", "upload_file", "original")
    } | {"transcoder_asset_upload_presign", "transcoder_asset_upload_finalize"}
    covered |= {
        f"transcoder_asset_{v}" for v in ("changelist", "add", "change", "delete")
    }
    covered |= {"transcoder_asset_history"}  # read-only, Django's own check
    covered |= {"transcoder_asset_status", "transcoder_asset_gallery"}
    covered |= {"transcoder_asset_replace", "transcoder_asset_restore"}
    covered |= {"transcoder_asset_tags"}
    assert custom <= covered, custom - covered


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("endpoint", "need", "call", "effect"),
    [pytest.param(*e, id=e[0]) for e in ENDPOINTS],
)
def test_permission_matrix(role, endpoint, need, call, effect, presets, jpeg):
    """Each role reaches exactly the views its permissions allow, and no more."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    client = _client(role)
    response = call(client, _asset_urls(asset), asset)
    allowed = _may(role, need)
    if effect is not None:
        assert effect(asset) is allowed, (role, endpoint, response.status_code)
        # An editor who may see the list but not run an action gets the list
        # back ("No action selected"); the effect check above is what counts.
        list_action = endpoint.endswith(" action") and _may(role, "view_asset")
        if not allowed and role != "view-only" and not list_action:
            assert _denied(response)
    else:
        assert _denied(response) is not allowed, (role, response.status_code)


@pytest.mark.parametrize("with_token", [False, True])
def test_api_needs_a_token(client, presets, jpeg, with_token, admin_user):
    """The JSON API answers 401 without a valid token and 200 with one."""
    services.asset_create(content=jpeg, filename="a.jpg")
    headers = {}
    if with_token:
        key = services.api_token_issue(token=ApiToken(name="site"), user=admin_user)
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    response = client.get("/api/assets/", **headers)
    assert response.status_code == (200 if with_token else 401)
    bad = client.get("/api/assets/", HTTP_AUTHORIZATION="Bearer not-a-key")
    assert bad.status_code == 401


@pytest.mark.parametrize(
    "endpoint", [e for e in ENDPOINTS if e[0] not in ("preset add",)], ids=str
)
def test_state_changing_endpoints_need_csrf(endpoint, presets, jpeg, admin_user):
    """Without a CSRF token every POST is refused with 403 and changes nothing."""
    name, _, call, effect = endpoint
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = call(client, _asset_urls(asset), asset)
    if response.request["REQUEST_METHOD"] != "POST":
        return
    assert response.status_code == 403, name
    if effect is not None:
        assert effect(asset) is False


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
def test_upload_names_never_become_storage_keys(admin_client, presets, jpeg, name):
    """The stored key is made by the server; the name is only kept as metadata."""
    response = admin_client.post(
        reverse("admin:transcoder_asset_upload_file"),
        {"file": SimpleUploadedFile(name, jpeg)},
    )
    assert response.status_code == 201, response.content
    asset = Asset.objects.get()
    assert re.fullmatch(rf"originals/{asset.pk}/[0-9a-f]{{16}}\.jpg", asset.original)
    assert len(asset.original_filename) <= 255
    for row in asset.renditions.all():
        assert re.fullmatch(
            rf"renditions/{asset.pk}/[a-z]+/[0-9a-f]{{16}}-\d+\.(jpg|webp)", row.name
        )


def test_served_files_carry_nosniff_and_a_restrictive_csp(
    client, admin_client, presets, jpeg
):
    """Renditions and originals are served with nosniff and a sandboxing CSP."""
    from transcoder import delivery

    asset = services.asset_create(content=jpeg, filename="a.jpg")
    rendition = asset.renditions.first()
    responses = [
        client.get(delivery.rendition_url(rendition)),
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
    presets, media_root
):
    """Renditions carry no GPS, maker note, XMP or comment; the original is whole.

    Only staff, or a signed URL, can reach the files.
    """
    from PIL import Image

    data = _camera_jpeg()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
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
    assert _denied(anonymous.get(original_url))
    assert anonymous.get(f"/media/{rows[0].name}").status_code == 403
