"""The API's processing status, placeholders, layout map and preset list, and
the template tags' and snippets' placeholders, sizes, alt text and site key."""

import base64
import re

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.template import Context, Template

from tests.images import make_image
from transcoder import services
from transcoder.admin.images import gallery
from transcoder.imaging.analysis import placeholder
from transcoder.imaging.quality.autoquality import DEFAULT_TARGET
from transcoder.models import ApiToken, Asset, Preset, Rendition, SiteKey
from transcoder.services.access import sitekeys

pytestmark = pytest.mark.django_db


def _auth(key):
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def writer(admin_user):
    return services.api_token_issue(
        token=ApiToken(name="cms", scope_write=True, created_by=admin_user)
    )


@pytest.fixture
def hero(presets):
    """A responsive preset: three widths, two formats."""
    return services.preset_save(
        preset=Preset(
            slug="hero",
            name="Hero",
            fit="cover",
            width=600,
            height=300,
            widths=[150, 300, 600],
            formats=["webp", "jpeg"],
        )
    )


def _upload(client, auth, data):
    """Ask, PUT and finalize an upload through the API; return the answer."""
    made = client.post(
        "/api/uploads/",
        {"content_type": "image/jpeg", "size": len(data)},
        content_type="application/json",
        headers=auth,
    ).json()
    put = client.put(
        made["url"], data, content_type="application/octet-stream", headers=auth
    )
    assert put.status_code == 201
    return client.post(
        "/api/uploads/finalize/",
        {"key": made["key"]},
        content_type="application/json",
        headers=auth,
    )


def _run_worker():
    """Run the real database worker until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")


@pytest.mark.django_db(transaction=True)
def test_finalize_says_processing_then_the_worker_makes_it_ready(
    client, db_backend, presets, writer
):
    """Finalize answers processing with its progress; after the worker, ready."""
    answer = _upload(client, _auth(writer), make_image("JPEG", size=(640, 480)))
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert data["status"] == "processing"
    assert data["progress"] == {"ready": 0, "failed": 0, "pending": 3, "total": 3}
    assert data["reasons"] == [] and data["placeholder"] is None
    assert data["layout"] == {} and data["embed"] == {}
    _run_worker()
    data = client.get(f"/api/assets/{data['id']}/", headers=_auth(writer)).json()
    assert data["status"] == "ready"
    assert data["progress"] == {"ready": 3, "failed": 0, "pending": 0, "total": 3}
    assert data["placeholder"]["color"] == Asset.objects.get().dominant_colour
    assert re.fullmatch(r"#[0-9a-f]{6}", data["placeholder"]["color"])
    thumbhash = base64.b64decode(data["placeholder"]["thumbhash"])
    assert placeholder.decode(thumbhash)[:2] == (32, 23)  # 4:3 as 7:5 terms


@pytest.mark.django_db(transaction=True)
def test_a_failed_build_answers_failed_with_its_reasons(
    client, db_backend, presets, writer
):
    """A build that cannot read the original: failed, each preset's reason."""
    answer = _upload(client, _auth(writer), make_image("JPEG", size=(640, 480)))
    asset = Asset.objects.get(pk=answer.json()["id"])
    storages["default"].delete(asset.original)
    _run_worker()
    data = client.get(f"/api/assets/{asset.pk}/", headers=_auth(writer)).json()
    assert data["status"] == "failed"
    assert data["progress"] == {"ready": 0, "failed": 3, "pending": 0, "total": 3}
    assert data["reasons"] == [
        "Card: The original is missing.",
        "Thumb: The original is missing.",
    ]


def test_layout_gives_size_srcset_and_sizes_from_the_stored_widths(
    client, commit, hero, writer
):
    """Each preset: the widest rendition's size; a responsive one, a srcset of
    embed links at exactly the stored widths and its box's sizes."""
    with commit():
        # 400 px wide: the 600 px width cannot be made and equals the 400 one.
        asset = services.asset_create(
            content=make_image("JPEG", size=(400, 300)), filename="a.jpg"
        )
    data = client.get(f"/api/assets/{asset.pk}/", headers=_auth(writer)).json()
    stored = sorted(
        set(
            Rendition.objects.filter(asset=asset, preset__slug="hero").values_list(
                "width", "height"
            )
        )
    )
    assert [w for w, _ in stored] == [150, 300, 400]
    hero_layout = data["layout"]["hero"]
    embed = data["embed"]["hero"]
    assert hero_layout["url"] == embed
    assert (hero_layout["width"], hero_layout["height"]) == stored[-1]
    assert hero_layout["srcset"] == ", ".join(f"{embed}?w={w} {w}w" for w, _ in stored)
    assert hero_layout["sizes"] == "(max-width: 600px) 100vw, 600px"
    card = data["layout"]["card"]
    assert (card["width"], card["height"]) == (300, 225)
    assert "srcset" not in card and "sizes" not in card
    # Each srcset link leads to the rendition of its width.
    for part in hero_layout["srcset"].split(", "):
        url, width = part.rsplit(" ", 1)
        target = client.get(url, HTTP_ACCEPT="image/webp")
        assert target.status_code == 302
        name = Rendition.objects.get(
            asset=asset, preset__slug="hero", format="webp", width=int(width[:-1])
        ).name
        assert name in target["Location"]
    listed = client.get("/api/assets/", headers=_auth(writer)).json()["results"][0]
    assert listed["layout"] == data["layout"] and listed["status"] == "ready"


def test_presets_lists_widths_formats_and_aspect(client, hero, writer):
    """GET /api/presets/ lists the active presets; an inactive one is left out."""
    Preset.objects.filter(slug="thumb").update(active=False)
    response = client.get("/api/presets/", headers=_auth(writer))
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "slug": "card",
                "name": "Card",
                "fit": "contain",
                "width": 300,
                "height": 300,
                "widths": [],
                "formats": ["jpeg"],
                "target": Preset.objects.get(slug="card").target,
                "quality": 80,
                "aspect": None,
                "responsive": False,
                "sizes": "(max-width: 300px) 100vw, 300px",
            },
            {
                "slug": "hero",
                "name": "Hero",
                "fit": "cover",
                "width": 600,
                "height": 300,
                "widths": [150, 300, 600],
                "formats": ["webp", "jpeg"],
                "target": DEFAULT_TARGET,
                "quality": 80,
                "aspect": 2.0,
                "responsive": True,
                "sizes": "(max-width: 600px) 100vw, 600px",
            },
        ]
    }
    assert client.get("/api/presets/").status_code == 401
    assert client.post("/api/presets/", headers=_auth(writer)).status_code == 405


def _render(source, **context):
    return Template("{% load transcoder_tags %}" + source).render(Context(context))


def test_template_tags_paint_the_placeholder_and_default_sizes(commit, hero):
    """placeholder="colour" paints the dominant colour; "blur" the ThumbHash PNG;
    <picture> defaults sizes to the preset's box; a bad kind is a clear error."""
    with commit():
        asset = services.asset_create(
            content=make_image("JPEG", size=(640, 480), color=(20, 40, 220)),
            filename="a.jpg",
        )
    asset.refresh_from_db()
    colour = asset.dominant_colour
    html = _render('{% rendition asset "card" placeholder="colour" %}', asset=asset)
    assert f'style="background-color:{colour}"' in html
    html = _render(
        '{% picture asset "hero" placeholder="blur" style="border:0" %}', asset=asset
    )
    url = placeholder.data_url(asset.thumbhash)
    assert f"background-image:url({url});background-size:cover;border:0" in html
    assert 'sizes="(max-width: 600px) 100vw, 600px"' in html
    assert "style=" not in _render('{% rendition asset "card" %}', asset=asset)
    with pytest.raises(ValueError, match="placeholder must be one of"):
        _render('{% rendition asset "card" placeholder="fancy" %}', asset=asset)


def _snippets(asset, preset="hero"):
    cards = gallery.gallery_context(asset, "https://media.example")["cards"]
    card = next(c for c in cards if c["preset"].slug == preset)
    return card, {s["key"]: s["text"] for s in card["snippets"]}


def test_snippets_never_mark_a_described_image_decorative_by_accident(commit, hero):
    """Missing alt text: a TODO and a warning; decorative: alt=""; else the text."""
    with commit():
        asset = services.asset_create(
            content=make_image("JPEG", size=(640, 480)), filename="a.jpg"
        )
    card, snippets = _snippets(asset)
    assert card["alt_missing"]
    assert 'alt="TODO: describe this image"' in snippets["img"]
    assert 'alt=""' not in snippets["img"] + snippets["picture"]
    Asset.objects.filter(pk=asset.pk).update(decorative=True)
    asset.refresh_from_db()
    card, snippets = _snippets(asset)
    assert not card["alt_missing"] and 'alt=""' in snippets["img"]
    Asset.objects.filter(pk=asset.pk).update(decorative=False, alt_text='A "cat"')
    asset.refresh_from_db()
    assert 'alt="A &quot;cat&quot;"' in _snippets(asset)[1]["img"]


def test_snippets_carry_sizes_placeholder_and_the_site_key(commit, hero):
    """sizes follow the preset's box, the colour shows first, the key is on."""
    with commit():
        asset = services.asset_create(
            content=make_image("JPEG", size=(640, 480)), filename="a.jpg"
        )
    asset.refresh_from_db()
    _, snippets = _snippets(asset)
    assert 'sizes="(max-width: 600px) 100vw, 600px"' in snippets["img"]
    assert '100vw"' not in snippets["picture"]
    assert f'style="background-color:{asset.dominant_colour}"' in snippets["img"]
    assert "key=" not in snippets["img"] + snippets["link"]
    assert 'placeholder="blur"' in snippets["tag"]
    key = sitekeys.site_key_issue(site_key=SiteKey(name="Blog"))
    card, snippets = _snippets(asset)
    embed = f"https://media.example/e/{asset.pk}/hero/"
    assert snippets["link"] == f"{embed}?key={key.key}"
    srcset = re.search(r'srcset="([^"]+)"', snippets["img"])[1]
    assert srcset == ", ".join(
        f"{embed}?key={key.key}&amp;format=jpeg&amp;w={w} {w}w" for w in (150, 300, 600)
    )
    assert snippets["picture"].count(f"key={key.key}&amp;format=webp") == 3


def test_asset_page_warns_above_snippets_with_a_todo_alt(commit, hero):
    """The gallery HTML warns that the snippets carry a TODO, and names the key."""
    with commit():
        asset = services.asset_create(
            content=make_image("JPEG", size=(640, 480)), filename="a.jpg"
        )
    sitekeys.site_key_issue(site_key=SiteKey(name="Blog"))
    html = gallery.render_gallery(asset=asset, origin="https://media.example")
    assert "data-alt-missing" in html and "TODO: describe this image" in html
    assert html.count("data-site-key=") == 3  # one per preset card
    Asset.objects.filter(pk=asset.pk).update(alt_text="A field")
    asset.refresh_from_db()
    html = gallery.render_gallery(asset=asset, origin="https://media.example")
    assert "data-alt-missing" not in html and "TODO" not in html
