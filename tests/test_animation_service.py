"""Animated uploads through the whole path: upload, build, store, API and gallery."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageChops, ImageSequence, ImageStat

from transcoder import services, status
from transcoder.imaging.encoding import animation
from transcoder.models import ApiToken, Asset, Preset, Rendition, RenditionStatus

pytestmark = pytest.mark.django_db

GIF = (Path(__file__).parent / "files" / "animated" / "chi.gif").read_bytes()
UPLOAD_URL = "/admin/transcoder/asset/upload/file/"


@pytest.fixture
def moving_presets(db):
    """A responsive preset in every format, and a cover crop in WebP and JPEG."""
    return [
        services.preset_save(
            preset=Preset(
                slug="hero",
                name="Hero",
                fit="contain",
                width=320,
                widths=[160, 320],
                formats=["avif", "webp", "jpeg", "png"],
            )
        ),
        services.preset_save(
            preset=Preset(
                slug="square",
                name="Square",
                fit="cover",
                width=100,
                height=100,
                formats=["webp", "jpeg"],
            )
        ),
    ]


def _stored(rendition):
    with storages["renditions"].open(rendition.name, "rb") as f:
        return Image.open(io.BytesIO(f.read()))


def _played_ms(image):
    total = 0
    for frame in ImageSequence.Iterator(image):
        frame.load()  # AVIF reads a frame's duration as it decodes it
        total += frame.info.get("duration") or 0
    return total


@pytest.mark.django_db(transaction=True)
def test_an_animated_gif_uploaded_through_the_api_keeps_its_motion(
    client, moving_presets, admin_user, media_root
):
    """PUT and finalize a GIF: WebP and AVIF renditions move, JPEG and PNG are
    stills of the first frame, and the API says which is which."""
    key = services.api_token_issue(
        token=ApiToken(
            name="cms", scope_read=True, scope_write=True, created_by=admin_user
        )
    )
    auth = {"Authorization": f"Bearer {key}"}
    upload = client.post(
        "/api/uploads/",
        {"filename": "chi.gif", "content_type": "image/gif", "size": len(GIF)},
        content_type="application/json",
        headers=auth,
    ).json()
    put = client.put(
        upload["url"], GIF, content_type="application/octet-stream", headers=auth
    )
    assert put.status_code == 201
    done = client.post(
        "/api/uploads/finalize/",
        {"key": upload["key"], "filename": "chi.gif"},
        content_type="application/json",
        headers=auth,
    )
    assert done.status_code == 201, done.content
    renditions = done.json()["renditions"]
    assert len(renditions) == 10
    for r in renditions:
        moves = r["format"] in ("webp", "avif")
        assert r["animated"] is moves, r
        assert r["frames"] == (31 if moves else 1)
        assert r["duration_ms"] == (3100 if moves else None)
    asset = Asset.objects.get()
    assert asset.frames == 31
    rows = Rendition.objects.filter(asset=asset, status=RenditionStatus.READY)
    assert rows.count() == 10
    for row in rows:
        image = _stored(row)
        assert image.size == (row.width, row.height)
        if row.format in ("webp", "avif"):
            # libwebp merges identical neighbours; the playing time is whole.
            assert 1 < image.n_frames <= 31
            assert _played_ms(image) == 3100
        else:
            assert getattr(image, "n_frames", 1) == 1
    # An animated WebP is far smaller than the GIF it came from.
    hero = rows.get(preset__slug="hero", format="webp", width=320)
    assert hero.bytes < len(GIF) / 3


def test_the_gallery_shows_the_motion(
    django_capture_on_commit_callbacks, admin_client, moving_presets, media_root
):
    """The asset page previews the animated WebP and badges moving renditions."""
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            UPLOAD_URL, {"file": SimpleUploadedFile("chi.gif", GIF)}
        )
    assert response.status_code == 201
    asset = Asset.objects.get()
    html = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/change/").content
    html = html.decode()
    assert html.count("mh-badge--motion") == 2 + 4 + 1  # previews, hero, square
    assert "Animated: 31 frames, 3.1 s a play" in html
    hero = Rendition.objects.get(asset=asset, preset__slug="hero", format="webp",
                                 width=320)  # fmt: skip
    square = Rendition.objects.get(asset=asset, preset__slug="square", format="webp")
    # The preview of each card is its animated WebP, not a still JPEG.
    previews = re.findall(r'class="mh-card__preview"[^>]*>\s*<img src="([^"]+)"', html)
    for row in (hero, square):
        name = row.name.rsplit("/", 1)[-1]
        assert any(name in src for src in previews), (name, previews)
    german = admin_client.get(
        f"/admin/transcoder/asset/{asset.pk}/change/", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert "Animiert: 31 Einzelbilder, 3,1 s pro Durchlauf" in german


def test_a_too_long_animation_is_refused_at_upload(
    admin_client, moving_presets, settings
):
    """Over the playing-time limit: a 400 that says so, in the editor's language."""
    settings.MEDIAHUB_MAX_ANIMATION_SECONDS = 2
    response = admin_client.post(
        UPLOAD_URL, {"file": SimpleUploadedFile("chi.gif", GIF)}
    )
    assert response.status_code == 400
    assert response.json()["error"] == (
        "The animation plays for 3.1 seconds; the limit is 2 seconds. "
        "Upload a shorter animation."
    )
    german = admin_client.post(
        UPLOAD_URL,
        {"file": SimpleUploadedFile("chi.gif", GIF)},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert german.status_code == 400
    assert german.json()["error"] == (
        "Die Animation läuft 3.1 Sekunden; die Grenze liegt bei 2 Sekunden. "
        "Laden Sie eine kürzere Animation hoch."
    )
    assert Asset.objects.count() == 0


def test_too_many_pixels_in_all_is_refused_at_upload(
    admin_client, moving_presets, settings
):
    """Over the pixel-time limit: refused before any frame is decoded."""
    settings.MEDIAHUB_MAX_ANIMATION_PIXELS = 1_000_000
    response = admin_client.post(
        UPLOAD_URL, {"file": SimpleUploadedFile("chi.gif", GIF)}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith(
        "The animation has 31 frames of 320 × 240 pixels, 2.4 megapixels in all; "
        "the limit is 1 megapixels."
    )
    assert Asset.objects.count() == 0


def test_still_renditions_built_before_motion_keep_serving(
    django_capture_on_commit_callbacks, moving_presets, media_root
):
    """An animation whose WebP was built as a still (before this engine) stays
    ready, and serves that still until a rebuild makes it move."""
    with django_capture_on_commit_callbacks(execute=True):
        asset = services.asset_create(content=GIF, filename="chi.gif")
    square = Preset.objects.get(slug="square")
    [spec] = [s for s in asset.rendition_specs(square) if s.format == "webp"]
    assert spec.animated
    row = Rendition.objects.get(asset=asset, preset=square, format="webp")
    still_digest = spec.earlier_digests[-1]
    # As an earlier engine left it: a still under the still spec's digest.
    Rendition.objects.filter(pk=row.pk).update(
        digest=still_digest, frames=1, duration_ms=None
    )
    asset.refresh_from_db()
    state = status.asset_states(asset_ids=[asset.pk])[str(asset.pk)]
    assert state["state"] == "ready"
    # A rebuild (say Regenerate renditions) makes the moving one beside it.
    services.renditions_generate(asset_id=asset.pk)
    moving = Rendition.objects.get(asset=asset, preset=square, digest=spec.digest)
    assert moving.status == RenditionStatus.READY and moving.frames == 31


def _current(asset, **filters):
    return Rendition.objects.filter(
        asset=asset,
        superseded_at__isnull=True,
        status=RenditionStatus.READY,
        **filters,
    )


def _diff(a, b):
    """Return the mean absolute difference of two images, worst channel."""
    a, b = a.convert("RGB"), b.convert("RGB")
    return max(ImageStat.Stat(ImageChops.difference(a, b)).mean)


def test_an_edited_animation_keeps_its_motion(commit, moving_presets):
    """Turn, mirror and crop a GIF: the rebuilt WebP and AVIF renditions move
    with every frame and the playing time, at the edited size, each frame
    edited (the first is the edited still); restoring the first version
    brings the unedited motion back."""
    with commit():
        asset = services.asset_create(content=GIF, filename="chi.gif")
    before = {r.pk for r in _current(asset)}
    with commit():
        services.asset_edit_apply(
            asset=asset, rotate=1, flip="horizontal", crop=(20, 40, 200, 240)
        )
    asset.refresh_from_db()
    assert (asset.width, asset.height) == (200, 240)
    rows = _current(asset)
    assert rows.count() == 10 and not before & {r.pk for r in rows}
    for row in rows:
        image = _stored(row)
        assert image.size == (row.width, row.height)
        if row.preset.slug == "hero":  # contained: the edited picture's shape
            assert abs(row.width / row.height - 200 / 240) < 0.02
        if row.format in ("webp", "avif"):
            assert (row.frames, row.duration_ms) == (31, 3100)
            assert 1 < image.n_frames <= 31 and _played_ms(image) == 3100
        else:
            assert getattr(image, "n_frames", 1) == 1 and not row.animated
    # The first frame is the edited still (the lossless PNG of the same size).
    webp = _stored(rows.get(preset__slug="hero", format="webp", width=200))
    png = _stored(rows.get(preset__slug="hero", format="png", width=200))
    assert _diff(webp, png) < 3
    # A later frame is that frame of the GIF, edited the same way.
    source = Image.open(io.BytesIO(GIF))
    avif = _stored(rows.get(preset__slug="hero", format="avif", width=200))
    for index in (10, 25):
        source.seek(index)
        avif.seek(index)
        wanted = asset.recipe.apply(source.convert("RGB")).resize(avif.size)
        assert _diff(avif, wanted) < 6
        assert _diff(avif, source.convert("RGB").resize(avif.size)) > 20

    with commit():
        services.asset_version_restore(version=asset.versions.get())
    asset.refresh_from_db()
    assert (asset.edit, asset.width, asset.height) == ({}, 320, 240)
    hero = _current(asset, preset__slug="hero", format="webp", width=320).get()
    assert (hero.frames, hero.duration_ms) == (31, 3100)
    assert _stored(hero).size == (320, 240)


def test_motion_is_bounded_by_the_decoded_canvas_not_the_crop(
    commit, moving_presets, monkeypatch
):
    """An animation too large a frame to move stays still even cropped small:
    the whole canvas is decoded whatever the crop keeps."""
    with commit():
        asset = services.asset_create(content=GIF, filename="chi.gif")
    hero = Preset.objects.get(slug="hero")
    monkeypatch.setattr(animation, "MAX_MOVING_PIXELS", 320 * 240 - 1)
    asset.edit = asset.recipe.cropped((0, 0, 100, 100)).to_json()
    assert not any(s.animated for s in asset.rendition_specs(hero))
    monkeypatch.setattr(animation, "MAX_MOVING_PIXELS", 320 * 240)
    assert any(s.animated for s in asset.rendition_specs(hero))
