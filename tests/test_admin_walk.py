"""Defects from an editor's walk through the admin, checked at the form and
page level (issue 20); tests/test_browser_walk.py holds the browser side."""

import re

import pytest
from django.contrib.auth.models import Permission, User

from tests.support import logged_in

pytestmark = pytest.mark.django_db

SYSTEM_PAGES = ["/admin/axes/", "/admin/taggit/", "/admin/django_tasks_database/"]


def _sections(body):
    """Return the app sections' captions of an admin page, in order."""
    return re.findall(r'<a href="[^"]*" class="section"[^>]*>([^<]+)</a>', body)


def test_superuser_finds_the_machinery_under_one_system_section(admin_user):
    """Axes, Taggit and task results are one "System" section, last."""
    client = logged_in(admin_user)
    home = client.get("/admin/").content.decode()
    sections = _sections(home)
    assert sections[-1] == "System"
    assert not {"Axes", "Taggit", "Tasks Database Backend"} & set(sections)
    system = home[home.index('class="app-system') :]
    for name in ("Access attempts", "Tags", "Task Results"):
        assert name in system
    page = client.get("/admin/system/").content.decode()
    assert "Access attempts" in page and "Task Results" in page
    assert 'class="mh-home' not in page  # the media home is the home only
    assert client.get("/admin/axes/").status_code == 200


def test_editor_never_sees_the_system_section(admin_user):
    """A staff user, even one given the system models' permissions, sees none."""
    editor = User.objects.create_user("ed", password="x", is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["axes", "taggit", "django_tasks_database"]
        ),
        Permission.objects.get(codename="view_asset"),
    )
    client = logged_in(editor)
    home = client.get("/admin/").content.decode()
    assert "System" not in _sections(home)
    assert "Access attempts" not in home and "Task Results" not in home
    assert client.get("/admin/system/").status_code == 404
    for path in SYSTEM_PAGES:
        assert client.get(path).status_code == 404, path


TAG_TEXTS = [
    ("still life", ["still life"]),
    ("still life, beach", ["beach", "still life"]),
    ("  still   life ,, beach,", ["beach", "still life"]),
    ('"Rome, Italy", sea', ["Rome, Italy", "sea"]),
    ("sea, sea", ["sea"]),
    ("", []),
]


@pytest.mark.parametrize(
    ("text", "names"), TAG_TEXTS, ids=[t or "empty" for t, _ in TAG_TEXTS]
)
def test_tags_split_on_commas_never_on_spaces(text, names):
    """The plain tag field (no JavaScript) splits on commas only."""
    from transcoder import services

    assert services.tags_parse(text) == names


def test_asset_form_and_bulk_form_keep_spaces_in_a_tag(presets):
    """The asset's tag field and the bulk "Add tags" form save "still life" once."""
    from tests.images import encode, quadrants
    from transcoder import services
    from transcoder.admin.images.grid import TagsForm
    from transcoder.admin.shell.forms import AssetChangeForm

    asset = services.asset_create(
        content=encode(quadrants((64, 48)), "JPEG"), filename="a.jpg"
    )
    form = AssetChangeForm(
        {"title": "A", "alt_text": "", "tags": "still life, Rome"}, instance=asset
    )
    assert form.is_valid(), form.errors
    form.save()
    assert sorted(asset.tags.names()) == ["Rome", "still life"]
    # What the field shows reads back as the same tags.
    shown = AssetChangeForm(instance=asset)["tags"].value()
    rendered = AssetChangeForm(instance=asset)["tags"].as_widget()
    assert 'value="Rome, still life"' in rendered, (shown, rendered)

    bulk = TagsForm({"tags": "still life"})
    assert bulk.is_valid() and bulk.cleaned_data["tags"] == ["still life"]


def test_bulk_delete_names_the_selected_images_sites_embed():
    """The bulk delete page lists the busiest in-use images of the selection,
    within the editor's reach, N of them and a count of the rest."""
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from tests.seed import asset_rows
    from tests.support import grant
    from transcoder import services
    from transcoder.admin.images.grid import USAGE_SHOWN
    from transcoder.models import Asset, root_collection

    root = root_collection()
    mine = services.collection_create(parent=root, name="Mine")
    other = services.collection_create(parent=root, name="Other")
    group = Group.objects.create(name="editors")
    grant(group, mine, "view", "change", "delete")
    editor = User.objects.create_user("ed", password="x", is_staff=True)
    editor.groups.add(group)
    asset_rows(USAGE_SHOWN + 3, collection=mine)
    rows = sorted(Asset.objects.all(), key=lambda a: int(a.title.split()[1]))
    for i, asset in enumerate(rows[: USAGE_SHOWN + 2]):
        for _ in range(i + 1):  # Row 11 is the busiest
            services.usage_record(asset_id=asset.pk, origin="https://a.example")
    services.usage_record(asset_id=rows[0].pk, origin="https://b.example")
    hidden = Asset.objects.create(
        title="Elsewhere", collection=other, width=1, height=1, bytes=1
    )
    for _ in range(50):
        services.usage_record(asset_id=hidden.pk, origin="https://a.example")

    client = logged_in(editor)
    page = client.post(
        reverse("admin:transcoder_asset_changelist"),
        {
            "action": "delete_in_background",
            "_selected_action": [str(rows[0].pk), str(hidden.pk)],
            "select_across": "1",
            "index": 0,
        },
    ).content.decode()
    warning = page[page.index('class="mh-usage-warning"') :]
    warning = warning[: warning.index("</div>")]
    assert f"{USAGE_SHOWN + 2} selected images are in use." in warning
    listed = re.findall(r'<a href="[^"]+">(Row \d+)</a>', warning)
    # Busiest first, bounded; the unused one and the other collection's, never.
    assert listed == [f"Row {i}" for i in range(USAGE_SHOWN + 1, 1, -1)]
    assert "And 2 more images in use." in warning
    assert "Elsewhere" not in page and "50 requests" not in page
    assert "12 requests" in warning
    assert Asset.objects.count() == USAGE_SHOWN + 4  # nothing deleted yet


def test_bulk_delete_without_usage_shows_no_usage_warning(admin_user):
    """Images nobody embeds get the plain confirmation."""
    from django.urls import reverse

    from tests.seed import asset_rows

    (asset,) = asset_rows(1)
    page = logged_in(admin_user).post(
        reverse("admin:transcoder_asset_changelist"),
        {"action": "delete_in_background", "_selected_action": [str(asset.pk)]},
    )
    body = page.content.decode()
    assert "Yes, delete" in body and "mh-usage-warning" not in body


def test_upload_answer_names_a_look_alike_within_reach():
    """The upload's answer names the closest look-alike the uploader may see,
    and none that they may not."""
    from django.contrib.auth.models import Group
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.images import encode, quadrants
    from tests.support import grant
    from transcoder import services
    from transcoder.models import root_collection

    root = root_collection()
    mine = services.collection_create(parent=root, name="Mine")
    other = services.collection_create(parent=root, name="Other")
    group = Group.objects.create(name="editors")
    grant(group, mine, "view", "add")
    editor = User.objects.create_user("ed", password="x", is_staff=True)
    editor.groups.add(group)
    hidden = services.asset_create(
        content=encode(quadrants((640, 480)), "JPEG"),
        filename="secret.jpg",
        collection=other,
    )
    client = logged_in(editor)

    def upload(fmt, **options):
        data = encode(quadrants((640, 480)), fmt, **options)
        return client.post(
            "/admin/transcoder/asset/upload/file/",
            {
                "file": SimpleUploadedFile(f"x.{fmt.lower()}", data),
                "collection": str(mine.pk),
            },
        )

    first = upload("PNG")
    assert first.status_code == 201
    assert "looks_like" not in first.json()["asset"], hidden  # not theirs to see
    second = upload("JPEG", quality=70)
    assert second.status_code == 201
    assert second.json()["asset"]["looks_like"]["id"] == first.json()["asset"]["id"]


@pytest.mark.parametrize(
    ("heif", "text"),
    [
        (True, "JPEG, PNG, WebP, AVIF, GIF, TIFF or HEIC"),
        (False, "JPEG, PNG, WebP, AVIF, GIF or TIFF"),
    ],
    ids=["pillow-heif", "without"],
)
def test_accepted_formats_are_one_list_with_heic_when_readable(heif, text):
    """Refusals, presigned uploads and the upload page name the same formats."""
    from transcoder.imaging.decode import sniff

    assert sniff.accepted_text(heif) == text
    assert sniff.upload_hint(heif) == f"upload a {text} image."


def test_refusals_and_upload_page_name_heic_here(admin_user):
    """pillow-heif is installed here: every list of formats includes HEIC."""
    from transcoder.delivery import presign
    from transcoder.imaging.decode import sniff

    assert "or HEIC image." in str(sniff.refusal_message("svg"))
    with pytest.raises(presign.DirectUploadError, match=r"TIFF or HEIC image\."):
        presign.upload_content_type(content_type="text/plain")
    page = logged_in(admin_user).get("/admin/transcoder/asset/upload/")
    assert "JPEG, PNG, WebP, AVIF, GIF, TIFF or HEIC, up to" in page.content.decode()


def test_preset_preview_mentions_estimates_only_when_a_row_is_estimated(presets):
    """ "≈" in the note only when some size is estimated and marked so."""
    from tests.images import encode, quadrants
    from transcoder import services
    from transcoder.admin import previews
    from transcoder.models import Preset

    asset = services.asset_create(
        content=encode(quadrants((1600, 1200)), "JPEG"), filename="a.jpg"
    )
    small = Preset(slug="s", name="S", fit="contain", width=80, formats=["jpeg"])
    sample = previews.preset_sample(preset=small, asset=asset)
    assert not any(r["estimated"] for r in sample["after"])
    assert "≈" not in sample["note"] and "exact" in sample["note"]
    large = Preset(slug="l", name="L", fit="contain", width=1600, formats=["jpeg"])
    sample = previews.preset_sample(preset=large, asset=asset)
    assert any(r["bytes"].startswith("≈ ") for r in sample["after"])
    assert "marked ≈ are estimated" in sample["note"]


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("Social share (1200×630)", "Social share (1200×630)"),
        ("Hero 1600 x 900", "Hero 1600 x 900"),
        ("Thumb", "Thumb (1200 × 630)"),
    ],
    ids=["times-sign", "letter-x", "plain"],
)
def test_crop_label_says_the_size_once(name, label):
    """A preset named with its size does not get the size appended again."""
    from transcoder.admin.shell.html import crop_label

    assert crop_label(name, 1200, 630) == label


def test_rebuild_and_bulk_messages_count_in_words():
    """ "1 image", never "1 images"."""
    from transcoder.admin.shell import html

    one = {"finished": False, "done": 0, "total_renditions": 1, "total_assets": 1}
    one |= {"label": "Add tags", "id": 1}
    assert "Add tags: 1 image queued." in str(html.bulk_message(one))
    assert "Rebuilding 1 rendition of 1 image." in str(html.rebuild_message(one))


def test_delete_confirmation_says_trash_not_a_list_of_renditions(
    admin_user, presets, commit
):
    """The page says the image goes to the Trash with what it keeps, not one
    line per rendition."""
    from tests.images import encode, quadrants
    from transcoder import services

    with commit():
        asset = services.asset_create(
            content=encode(quadrants((640, 480)), "JPEG"), filename="a.jpg", title="A"
        )
    assert asset.renditions.count() == 3
    page = logged_in(admin_user).get(f"/admin/transcoder/asset/{asset.pk}/delete/")
    body = page.content.decode()
    assert "goes to the Trash for 30 days: its renditions, versions" in " ".join(
        body.split()
    )
    assert "Rendition:" not in body and "renditions in" not in body
