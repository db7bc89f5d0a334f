"""What the file says reaches the asset (services.assets.metadata): at upload through
either door, on replace only where blank, in the API, the admin and search;
GPS reaches nothing."""

import io
import json
import logging
from datetime import UTC, datetime

import pytest
import requests
from django.core.files.storage import storages
from PIL import Image

from tests.photo_metadata import (
    GPS_TEXTS,
    exif_block,
    iptc_segment,
    photo,
    real,
    xmp_packet,
)
from tests.support import logged_in
from transcoder import services
from transcoder.models import ApiToken, Asset, RenditionStatus
from transcoder.services.assets.metadata import keyword_tags

pytestmark = pytest.mark.django_db

METADATA_FIELDS = ("caption", "creator", "credit", "copyright", "camera")


def rich_photo(**overrides):
    """A photo as an agency sends it: XMP and IPTC in step, EXIF, and GPS twice."""
    fields = dict(
        title="Harbour at dawn",
        description="Fishing boats return to the harbour of Sète at dawn.",
        creator=["Zoë Martín"],
        rights="© 2024 Zoë Martín",
        credit="Agence Lumière",
        subject=["harbour", "boats", "Sète", "dawn"],
        date_original="2024-05-01T06:12:00+02:00",
        gps=True,
    )
    fields.update(overrides)
    return photo(
        xmp=xmp_packet(**fields),
        iptc=iptc_segment({(2, 5): b"Harbour at dawn"}, utf8=True),
        exif=exif_block(make="Canon", model="Canon EOS R5", gps=True),
        size=(320, 240),
    )


def _stored_text(asset):
    """Every stored value of the asset, as one text."""
    row = Asset.objects.filter(pk=asset.pk).values().get()
    return json.dumps(row, default=str)


def test_an_upload_keeps_what_its_file_says(presets):
    """Title, caption, creator, credit, copyright, capture date and camera
    are stored; keywords become tags; non-ASCII comes out right."""
    asset = services.asset_create(content=rich_photo(), filename="IMG_0001.jpg")
    asset.refresh_from_db()
    assert asset.title == "Harbour at dawn"
    assert asset.caption == "Fishing boats return to the harbour of Sète at dawn."
    assert (asset.creator, asset.credit) == ("Zoë Martín", "Agence Lumière")
    assert asset.copyright == "© 2024 Zoë Martín"
    assert asset.captured_at == datetime(2024, 5, 1, 4, 12, tzinfo=UTC)
    assert asset.camera == "Canon EOS R5"
    assert sorted(asset.tags.names()) == ["Sète", "boats", "dawn", "harbour"]


TITLES = [
    ("uploader-first", "By the uploader", "From the file", "By the uploader"),
    ("then-the-file", "", "From the file", "From the file"),
    ("then-the-name", "", None, "IMG 0001"),
]  # fmt: skip


@pytest.mark.parametrize(("given", "in_file", "expected"), [t[1:] for t in TITLES],
                         ids=[t[0] for t in TITLES])  # fmt: skip
def test_title_is_the_uploaders_then_the_files_then_its_name(given, in_file, expected):
    """An explicit title wins; else the file's own title; else its file name."""
    data = photo(xmp=xmp_packet(title=in_file)) if in_file else photo()
    asset = services.asset_create(content=data, filename="IMG_0001.jpg", title=given)
    assert Asset.objects.get(pk=asset.pk).title == expected


def test_keywords_go_through_the_tag_rules():
    """Each keyword is one tag (spaces kept, commas split, quotes dropped, too
    long left out), matched to existing tags case-insensitively, at most 30."""
    services.asset_create(content=photo(), filename="first.jpg")
    first = Asset.objects.get()
    services.tags_add(asset_ids=[first.pk], names=["Beach"])
    keywords = ["New York", "beach", 'say "cheese"', "a, b", "x" * 101]
    data = photo(xmp=xmp_packet(subject=keywords + [f"k{i}" for i in range(40)]))
    asset = services.asset_create(content=data, filename="kw.jpg")
    names = list(asset.tags.names())
    assert {"New York", "Beach", "say cheese", "a", "b"} <= set(names)
    assert "beach" not in names and not any(len(n) > 100 for n in names)
    assert len(names) == 30
    assert keyword_tags(["x" * 101, ""]) == []


def test_a_malformed_packet_never_fails_the_upload(caplog):
    """Corrupt EXIF and broken XMP: the image still uploads, with a log line."""
    broken = photo(
        xmp=b"<x:xmpmeta <<< not xml", iptc=iptc_segment({(2, 80): b"By IPTC"})
    )
    with caplog.at_level(logging.INFO, logger="transcoder.imaging.decode.metadata"):
        asset = services.asset_create(content=broken, filename="broken.jpg")
        other = services.asset_create(
            content=real("photoshop-corrupt-exif.jpg"), filename="corrupt.jpg"
        )
    assert Asset.objects.get(pk=asset.pk).creator == "By IPTC"
    assert Asset.objects.filter(pk=other.pk).exists()
    assert "Ignoring malformed metadata" in caplog.text


def test_a_direct_upload_reads_metadata_at_finalize(commit, s3, admin_client, presets):
    """The S3 direct upload's finalize stores the same fields as a form upload."""
    post = admin_client.post(
        "/admin/transcoder/asset/upload/presign/", {"content_type": "image/jpeg"}
    ).json()
    sent = requests.post(
        post["url"],
        data=post["fields"],
        files={"file": ("photo.jpg", rich_photo())},
        timeout=10,
    )
    assert sent.status_code == 201
    with commit():
        response = admin_client.post(
            "/admin/transcoder/asset/upload/finalize/",
            {"key": post["key"], "filename": "photo.jpg"},
        )
    asset = Asset.objects.get(pk=response.json()["asset"]["id"])
    assert (asset.title, asset.credit) == ("Harbour at dawn", "Agence Lumière")
    assert "harbour" in asset.tags.names()


def test_gps_is_kept_nowhere_but_the_original(commit, presets):
    """GPS in EXIF and XMP: no stored field, API answer, asset page or
    rendition holds it; the original stays byte for byte."""
    data = rich_photo()
    with commit():
        asset = services.asset_create(content=data, filename="gps.jpg")
    assert storages["default"].open(asset.original).read() == data
    assert not any(t in _stored_text(asset) for t in GPS_TEXTS)
    user = asset.uploaded_by or _superuser()
    token = services.api_token_issue(token=ApiToken(name="t", created_by=user))
    api = logged_in(user).get(
        f"/api/assets/{asset.pk}/", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200 and api.json()["camera"] == "Canon EOS R5"
    page = logged_in(user).get(f"/admin/transcoder/asset/{asset.pk}/change/")
    assert "Agence Lumière" in page.content.decode()
    shown = api.content.decode() + page.content.decode()
    assert not any(t in shown for t in GPS_TEXTS)
    ready = asset.renditions.filter(status=RenditionStatus.READY)
    assert ready.count() >= 3
    for rendition in ready:
        blob = storages["renditions"].open(rendition.name).read()
        image = Image.open(io.BytesIO(blob))
        assert not image.getexif() and "xmp" not in image.info
        assert not any(t.encode() in blob for t in GPS_TEXTS)
        assert b"Agence" not in blob and b"Canon" not in blob


def _superuser():
    from django.contrib.auth.models import User

    return User.objects.create_superuser("boss", "boss@example.com", "x")


def test_replacing_a_file_fills_only_blanks(commit, presets):
    """A replacing file's metadata never overwrites what an editor wrote, nor
    tags an asset that has tags; it fills what is blank."""
    asset = services.asset_create(content=photo(), filename="plain.jpg")
    asset.caption = "The editor's caption"
    services.asset_update(asset=asset, title="Editor's title", alt_text="", focal=None)
    services.tags_add(asset_ids=[asset.pk], names=["chosen"])
    with commit():
        services.asset_replace(asset=asset, content=rich_photo(), filename="new.jpg")
    asset.refresh_from_db()
    assert (asset.title, asset.caption) == ("Editor's title", "The editor's caption")
    assert (asset.credit, asset.camera) == ("Agence Lumière", "Canon EOS R5")
    assert list(asset.tags.names()) == ["chosen"]


def test_a_tagless_asset_gets_the_replacing_files_keywords(commit, presets):
    """With no tags yet, a replacing file's keywords are offered as its tags."""
    asset = services.asset_create(content=photo(), filename="plain.jpg")
    with commit():
        services.asset_replace(asset=asset, content=rich_photo(), filename="new.jpg")
    assert "harbour" in Asset.objects.get(pk=asset.pk).tags.names()


@pytest.fixture
def writer(admin_user):
    return services.api_token_issue(
        token=ApiToken(
            name="cms", scope_read=True, scope_write=True, created_by=admin_user
        )
    )


def _patch(client, asset, token, body):
    return client.patch(
        f"/api/assets/{asset.pk}/",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_api_shows_searches_and_changes_the_fields(client, writer):
    """The API gives the fields, ``q`` finds them, PATCH changes them."""
    asset = services.asset_create(content=rich_photo(), filename="a.jpg")
    services.asset_create(content=photo(), filename="other.jpg")
    auth = {"Authorization": f"Bearer {writer}"}
    data = client.get(f"/api/assets/{asset.pk}/", headers=auth).json()
    assert data["credit"] == "Agence Lumière"
    assert data["captured_at"] == "2024-05-01T04:12:00+00:00"
    for term in ("lumière", "Zoë", "EOS R5", "Sète at dawn", "2024 Zoë"):
        found = client.get("/api/assets/", {"q": term}, headers=auth).json()
        assert [a["id"] for a in found["results"]] == [str(asset.pk)], term
    changed = _patch(
        client,
        asset,
        writer,
        {"caption": "New caption", "credit": "", "captured_at": None},
    )
    assert changed.status_code == 200
    asset.refresh_from_db()
    assert (asset.caption, asset.credit, asset.captured_at) == ("New caption", "", None)
    dated = _patch(client, asset, writer, {"captured_at": "2020-02-02T10:00:00+01:00"})
    assert dated.json()["captured_at"] == "2020-02-02T09:00:00+00:00"


BAD_PATCHES = [
    ("caption-too-long", {"caption": "x" * 2001}, "caption must be text of at most"),
    ("creator-not-text", {"creator": 5}, "creator must be text"),
    ("copyright-nul", {"copyright": "a\x00b"}, "without NUL"),
    ("date-not-text", {"captured_at": 20200202}, "captured_at must be a date"),
    ("date-no-offset", {"captured_at": "2020-02-02T10:00:00"}, "captured_at must be"),
    ("date-unreal", {"captured_at": "2020-02-30T10:00:00Z"}, "not a real date"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), [b[1:] for b in BAD_PATCHES],
                         ids=[b[0] for b in BAD_PATCHES])  # fmt: skip
def test_bad_metadata_patch_is_a_400_and_changes_nothing(client, writer, body, message):
    """Text is bounded like the other fields; a date is RFC 3339 or null."""
    asset = services.asset_create(content=rich_photo(), filename="a.jpg")
    response = _patch(client, asset, writer, {"caption": "changed", **body})
    assert response.status_code == 400
    assert message in response.json()["error"]
    asset.refresh_from_db()
    assert asset.caption.startswith("Fishing boats")
    assert asset.captured_at == datetime(2024, 5, 1, 4, 12, tzinfo=UTC)


def test_admin_search_and_change_form(admin_client):
    """The asset list's search finds the file's words; the change form edits them."""
    asset = services.asset_create(content=rich_photo(), filename="a.jpg")
    services.asset_create(content=photo(), filename="other.jpg")
    found = admin_client.get("/admin/transcoder/asset/", {"q": "Lumière"})
    assert str(asset.pk) in found.content.decode()
    assert found.context["cl"].result_count == 1
    page = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/change/")
    form = page.context["adminform"].form
    assert form.initial["caption"].startswith("Fishing boats")
    assert form.initial["camera"] == "Canon EOS R5"
