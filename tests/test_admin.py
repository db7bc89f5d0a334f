"""The admin, through Django's test client as a logged-in editor."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.images import make_image
from transcoder import services
from transcoder.models import Asset, Preset, Rendition, RenditionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_asset(django_capture_on_commit_callbacks):
    """Return services.asset_create, with the renditions its commit builds."""

    def make(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            return services.asset_create(**fields)

    return make


UPLOAD_URL = "/admin/transcoder/asset/upload/file/"


def _upload(client, data, name="photo.jpg"):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, data)})


def test_upload_creates_asset_and_renditions(
    django_capture_on_commit_callbacks, admin_client, presets, jpeg
):
    """Posting a file to the upload endpoint makes an asset with ready renditions."""
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(admin_client, jpeg)
    assert response.status_code == 201
    body = response.json()
    asset = Asset.objects.get(pk=body["asset"]["id"])
    assert body["asset"]["url"] == f"/admin/transcoder/asset/{asset.pk}/change/"
    assert asset.renditions.filter(status=RenditionStatus.READY).count() == 3


def test_refused_upload_answers_400_with_the_reason(admin_client, presets):
    """A PDF is refused with a 400 and a message the editor can act on."""
    response = _upload(admin_client, b"%PDF-1.7\n%%EOF\n", name="photo.jpg")
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert "PDF" in response.json()["error"]
    assert Asset.objects.count() == 0


def test_upload_page_renders_the_multi_file_picker(admin_client):
    """The upload page offers a multiple file input with progress handled by script."""
    response = admin_client.get("/admin/transcoder/asset/add/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="file"' in html and "multiple" in html
    assert "transcoder/upload.js" in html
    assert 'data-mode="django"' in html


def test_changelist_shows_thumbnails_without_building_any(
    make_asset, admin_client, presets, jpeg, django_assert_max_num_queries
):
    """The list shows existing renditions and never generates an image."""
    for i in range(3):
        make_asset(content=make_image("PNG", size=(200 + i, 150)), filename=f"{i}.png")
    count = Rendition.objects.count()
    with django_assert_max_num_queries(12):
        response = admin_client.get("/admin/transcoder/asset/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="mh-thumb"') == 3
    assert "/media/renditions/" in html
    assert Rendition.objects.count() == count


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("", {"beach photo", "cat photo", "broken"}),
        ("?renditions=failed", {"broken"}),
        ("?renditions=pending", set()),
        ("?renditions=ready", {"beach photo", "cat photo"}),
        ("?format=png", {"beach photo"}),
        ("?format__exact=jpeg", {"cat photo", "broken"}),
        ("?q=photo", {"beach photo", "cat photo"}),
        ("?q=broken", {"broken"}),
        ("?q=beach&format=jpeg", set()),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_changelist_filters_and_search(
    make_asset, admin_client, presets, jpeg, query, listed
):
    """Filters by rendition status and format, and search, list exactly their assets."""
    png = make_image("PNG", size=(200, 150))
    make_asset(content=png, filename="a.png", title="beach photo")
    make_asset(content=jpeg, filename="b.jpg", title="cat photo")
    bad = make_asset(
        content=jpeg, filename="c.jpg", title="broken", allow_duplicate=True
    )
    Rendition.objects.filter(asset=bad).update(status=RenditionStatus.FAILED, error="x")
    services.asset_state_refresh(asset_id=bad.pk)
    response = admin_client.get("/admin/transcoder/asset/" + query)
    assert response.status_code == 200
    assert {a.title for a in response.context["cl"].result_list} == listed


def test_status_filter_finds_failed_assets(make_asset, admin_client, presets, jpeg):
    """The 'Some failed' filter lists exactly the assets with a failed rendition."""
    good = make_asset(content=jpeg, filename="good.jpg")
    bad = make_asset(content=jpeg, filename="bad.jpg", allow_duplicate=True)
    Rendition.objects.filter(asset=bad).update(status=RenditionStatus.FAILED, error="x")
    services.asset_state_refresh(asset_id=bad.pk)  # What renditions_generate does.
    response = admin_client.get("/admin/transcoder/asset/?renditions=failed")
    ids = [a.pk for a in response.context["cl"].result_list]
    assert ids == [bad.pk]
    response = admin_client.get("/admin/transcoder/asset/?renditions=ready")
    assert [a.pk for a in response.context["cl"].result_list] == [good.pk]


def test_change_page_shows_gallery_and_saves_focal_point(
    django_capture_on_commit_callbacks, make_asset, admin_client, presets, jpeg
):
    """The change page lists renditions; a saved focal point re-crops the cover ones."""
    asset = make_asset(content=jpeg, filename="a.jpg")
    url = f"/admin/transcoder/asset/{asset.pk}/change/"
    html = admin_client.get(url).content.decode()
    assert "mh-gallery" in html and "data-focal-picker" in html
    assert html.count('class="mh-rendition mh-rendition--ready"') == 3
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {"title": "New", "alt_text": "A cat", "focal_x": "0.2", "focal_y": "0.8"},
        )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert (asset.title, asset.alt_text, asset.focal) == ("New", "A cat", (0.2, 0.8))
    assert asset.renditions.filter(superseded_at__isnull=True).count() == 3
    assert asset.renditions.count() == 5


def test_failed_rendition_reason_is_shown(make_asset, admin_client, presets, jpeg):
    """A failed rendition shows its reason in the gallery."""
    asset = make_asset(content=jpeg, filename="a.jpg")
    asset.renditions.filter(format="webp").update(
        status=RenditionStatus.FAILED, error="The file ends early"
    )
    html = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/change/").content
    assert b"The file ends early" in html


def test_regenerate_action_rebuilds_failed_renditions(
    django_capture_on_commit_callbacks, make_asset, admin_client, presets, jpeg
):
    """The 'Regenerate renditions' action rebuilds what failed."""
    asset = make_asset(content=jpeg, filename="a.jpg")
    asset.renditions.update(status=RenditionStatus.FAILED, error="x")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/transcoder/asset/",
            {"action": "regenerate_renditions", "_selected_action": [asset.pk]},
        )
    assert response.status_code == 302
    assert set(asset.renditions.values_list("status", flat=True)) == {"ready"}


def test_delete_through_admin_moves_to_the_trash_and_keeps_files(
    django_capture_on_commit_callbacks,
    make_asset,
    admin_client,
    presets,
    jpeg,
    stored_files,
):
    """Deleting from the admin moves the asset to the Trash, as deleted by the
    editor, and keeps its original and renditions in storage."""
    asset = make_asset(content=jpeg, filename="a.jpg")
    before = stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/transcoder/asset/{asset.pk}/delete/", {"post": "yes"}, follow=True
        )
    assert "is in the Trash for 30 days" in response.content.decode()
    trashed = Asset.trash.get(pk=asset.pk)
    assert trashed.trashed_by.username == "admin"
    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert stored_files() == before and len(before) == 4


def test_original_view_streams_the_untouched_bytes(
    make_asset, admin_client, presets, jpeg
):
    """Staff can open the original exactly as uploaded."""
    asset = make_asset(content=jpeg, filename="a.jpg")
    response = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/original/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == jpeg
    assert response["X-Content-Type-Options"] == "nosniff"


def test_original_view_needs_login(make_asset, client, presets, jpeg):
    """Anonymous visitors are sent to the login page, never to the original."""
    asset = make_asset(content=jpeg, filename="a.jpg")
    response = client.get(f"/admin/transcoder/asset/{asset.pk}/original/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.fixture
def viewer(client):
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_asset", "view_preset"])
    )
    client.force_login(user)
    return client


def test_view_only_staff_cannot_upload_edit_or_delete(
    make_asset, viewer, presets, jpeg
):
    """A view-only editor can look, but not upload, edit, regenerate or delete."""
    asset = make_asset(content=jpeg, filename="a.jpg")
    assert viewer.get("/admin/transcoder/asset/").status_code == 200
    assert _upload(viewer, jpeg).status_code == 403
    assert viewer.get("/admin/transcoder/asset/upload/").status_code == 403
    url = f"/admin/transcoder/asset/{asset.pk}/change/"
    viewer.post(url, {"title": "hacked", "alt_text": ""})
    asset.refresh_from_db()
    assert asset.title != "hacked"
    assert (
        viewer.post(
            f"/admin/transcoder/asset/{asset.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    viewer.post(
        "/admin/transcoder/asset/",
        {"action": "regenerate_renditions", "_selected_action": [asset.pk]},
    )
    assert Asset.objects.count() == 1
    assert set(asset.renditions.values_list("attempts", flat=True)) == {1}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"fit": "cover", "width": "100", "formats": ["jpeg"]},
            "cover crop needs both",
        ),
        ({"fit": "contain", "formats": ["jpeg"]}, "Give a width, a height or both"),
        ({"fit": "contain", "width": "100", "widths": "1, two"}, "whole numbers"),
        ({"fit": "contain", "width": "100000", "formats": ["jpeg"]}, "from 1 to"),
        ({"fit": "contain", "width": "100", "formats": []}, "This field is required"),
    ],
)
def test_preset_form_validates_up_front(admin_client, fields, message):
    """An invalid preset is refused in the form with a clear message."""
    data = {"name": "P", "slug": "p", "quality": "80", "background": "#ffffff"} | fields
    response = admin_client.post("/admin/transcoder/preset/add/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Preset.objects.exists()


def test_preset_created_in_admin_builds_renditions_for_existing_assets(
    django_capture_on_commit_callbacks, make_asset, admin_client, presets, jpeg
):
    """A new preset saved in the admin gets renditions for every existing asset."""
    asset = make_asset(content=jpeg, filename="a.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/transcoder/preset/add/",
            {
                "name": "Hero",
                "slug": "hero",
                "fit": "cover",
                "width": "400",
                "height": "200",
                "widths": "200, 400",
                "formats": ["webp", "avif"],
                "quality": "70",
                "background": "#ffffff",
                "active": "on",
            },
        )
    assert response.status_code == 302, response.content
    hero = asset.renditions.filter(preset__slug="hero")
    assert sorted(hero.values_list("width", "height", "format")) == [
        (200, 100, "avif"),
        (200, 100, "webp"),
        (400, 200, "avif"),
        (400, 200, "webp"),
    ]


def test_preview_never_points_at_an_original_browsers_cannot_show(
    make_asset, admin_client, presets
):
    """A TIFF with only cover crops gets a hint, not a broken image."""
    Preset.objects.filter(fit="contain").update(active=False)
    asset = make_asset(content=make_image("TIFF", size=(300, 200)), filename="scan.tif")
    html = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/change/").content
    assert b"data-focal-picker" not in html
    assert b"Browsers cannot show this TIFF original" in html
    Preset.objects.filter(fit="contain").update(active=True)
    services.renditions_generate(asset_id=asset.pk)
    html = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/change/").content
    assert b"data-focal-picker" in html and b"/media/renditions/" in html


def test_admin_has_no_view_site_link_that_loops(admin_client):
    """There is no public site: "View site" would only lead back to the admin."""
    html = admin_client.get("/admin/").content.decode()
    assert "View site" not in html


def test_original_downloads_under_the_uploaded_name(
    make_asset, admin_client, presets, jpeg
):
    """The original answers with the file name it was uploaded with."""
    asset = make_asset(content=jpeg, filename="Été à Paris.jpg")
    response = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/original/")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%C3%89t%C3%A9%20%C3%A0%20Paris.jpg" in disposition


def test_regenerate_action_queues_one_job_and_says_how_much(
    make_asset,
    admin_client,
    db_backend,
    presets,
    jpeg,
    django_capture_on_commit_callbacks,
):
    """Regenerating many assets queues one task and says what it queued."""
    from django_tasks_db.models import DBTaskResult

    assets = [
        make_asset(content=jpeg, filename=f"{i}.jpg", allow_duplicate=True)
        for i in range(3)
    ]
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/transcoder/asset/",
            {
                "action": "regenerate_renditions",
                "_selected_action": [str(a.pk) for a in assets],
            },
            follow=True,
        )
    messages = [str(m) for m in response.context["messages"]]
    assert any("Rebuilding 9 renditions of 3 images." in m for m in messages)
    assert DBTaskResult.objects.count() == 1


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("max_pixels", r"^The HEIC/HEIF image (is|has) "),
        ("cut", r"^The HEIC/HEIF file ends early"),
    ],
)
def test_heic_refusals_name_heic(limit, message):
    """A refused HEIC says it is the HEIC file, which phones often hide."""
    import dataclasses

    from tests.images import encode, quadrants
    from transcoder.conf import DEFAULTS
    from transcoder.imaging import engine

    data = encode(quadrants((400, 200)), "HEIF")
    limits = engine.Limits(
        max_bytes=DEFAULTS["MAX_UPLOAD_BYTES"], max_pixels=DEFAULTS["MAX_PIXELS"]
    )
    if limit == "max_pixels":
        limits = dataclasses.replace(limits, max_pixels=1000)
    else:
        data = data[: len(data) // 2]
    with pytest.raises(engine.ImageError, match=message):
        engine.inspect(data, limits)


@pytest.mark.django_db
def test_refusal_sizes_are_written_with_the_times_sign():
    """Refusals write 100 × 100, as the admin does, not 100 x 100."""
    from transcoder.imaging import engine, limits

    with pytest.raises(engine.TooManyPixelsError, match="100000 × 100000 pixels"):
        limits.check_pixels(100000, 100000, engine.Limits(max_bytes=1, max_pixels=10))
