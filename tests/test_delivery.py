"""Embedded-default delivery: signed, expiring URLs checked as CloudFront does."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from transcoder import services
from transcoder.delivery import serving
from transcoder.models import Rendition

pytestmark = pytest.mark.django_db


@pytest.fixture
def rendition(presets, jpeg, django_capture_on_commit_callbacks):
    """The thumb WebP of an asset whose renditions were built on commit."""
    with django_capture_on_commit_callbacks(execute=True):
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    return Rendition.objects.get(asset=asset, preset__slug="thumb", format="webp")


def _tamper(url, **changes):
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts.path + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_signed_url_serves_the_rendition_with_immutable_headers(client, rendition):
    """A fresh signed URL answers 200 with the right type and long immutable caching."""
    response = client.get(serving.rendition_url(rendition))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    body = b"".join(response.streaming_content)
    assert body[:4] == b"RIFF" and len(body) == rendition.bytes


def test_url_lives_at_least_the_ttl_and_at_most_one_window_more(settings, rendition):
    """The expiry is the first window boundary at least MEDIAHUB_URL_TTL ahead."""
    settings.MEDIAHUB_URL_TTL = 120
    settings.MEDIAHUB_URL_WINDOW = 60
    now = time.time()
    url = serving.rendition_url(rendition, now=now)
    expires = int(parse_qs(urlsplit(url).query)["Expires"][0])
    assert expires % 60 == 0
    assert now + 120 <= expires < now + 120 + 60


def test_renders_within_a_window_give_identical_urls(settings, rendition):
    """Any two renders in one window give the same URL, so browsers reuse it."""
    settings.MEDIAHUB_URL_TTL = 3600
    start = 1_800_000_000  # a window boundary
    urls = {
        serving.rendition_url(rendition, now=start + offset)
        for offset in (0.001, 2, 1799.5, 3599.999)
    }
    assert len(urls) == 1
    assert serving.rendition_url(rendition, now=start + 3600.5) not in urls


def test_two_renders_two_seconds_apart_give_identical_urls(
    settings, rendition, monkeypatch
):
    """Two renders 2 s apart give the same URL (window of an hour); a render in
    the next window gives a new one."""
    settings.MEDIAHUB_URL_TTL = 3600
    start = 1_800_000_000 // 3600 * 3600 + 10.0  # early in a window
    monkeypatch.setattr(serving, "clock", lambda: start)
    first = serving.rendition_url(rendition)
    monkeypatch.setattr(serving, "clock", lambda: start + 2)
    assert serving.rendition_url(rendition) == first
    monkeypatch.setattr(serving, "clock", lambda: start + 3600)
    assert serving.rendition_url(rendition) != first


def test_url_minted_at_the_end_of_a_window_verifies_a_ttl_later(
    client, settings, rendition, monkeypatch
):
    """A URL minted just before a boundary is still served MEDIAHUB_URL_TTL later."""
    settings.MEDIAHUB_URL_TTL = 600
    minted_at = (time.time() // 600 + 1) * 600 - 0.001
    url = serving.rendition_url(rendition, now=minted_at)
    monkeypatch.setattr(serving, "clock", lambda: minted_at + 600)
    assert client.get(url).status_code == 200
    monkeypatch.setattr(serving, "clock", lambda: minted_at + 1200.01)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "rewrite",
    [
        pytest.param(lambda q: q.replace("Expires=", "Expires=0"), id="leading-zero"),
        pytest.param(lambda q: q.replace("Expires=", "Expires=%2B"), id="plus-sign"),
        pytest.param(lambda q: q + "&x=1", id="extra-param"),
        pytest.param(lambda q: "x=1&" + q, id="param-before"),
        pytest.param(lambda q: q + "&Expires=1", id="repeated-expires"),
        pytest.param(lambda q: q.replace("&", "&amp;"), id="html-escaped"),
        pytest.param(lambda q: "&".join(reversed(q.split("&"))), id="reordered-params"),
        pytest.param(
            lambda q: q.replace("Expires=", "Expires=%EF%BC%91"), id="fullwidth-1"
        ),
    ],
)
def test_only_the_canonical_url_is_served(client, rendition, rewrite):
    """Leading zeros, other digits, extra or reordered parameters all get a 403."""
    path, _, query = serving.rendition_url(rendition).partition("?")
    assert client.get(f"{path}?{query}").status_code == 200
    assert client.get(f"{path}?{rewrite(query)}").status_code == 403


@pytest.mark.parametrize("expires", ["%C2%B2", "%D9%A3", "1" * 5000, "-1", "1e9", " 1"])
def test_hostile_expires_is_a_403_not_a_500(client, rendition, expires):
    """Superscripts, Arabic digits and 5,000-digit numbers are refused cleanly."""
    path, _, query = serving.rendition_url(rendition).partition("?")
    signature = query.split("&Signature=")[1]
    response = client.get(f"{path}?Expires={expires}&Signature={signature}")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Signature": "AAAA"}, "Bad signature"),
        ({"Signature": ""}, "Bad signature"),
        ({"Expires": "9999999999"}, "Bad signature"),
        ({"Expires": "soon"}, "Bad signature"),
    ],
)
def test_tampered_url_is_forbidden(client, rendition, change, reason):
    """Any change to the signature or the expiry gets a 403."""
    response = client.get(_tamper(serving.rendition_url(rendition), **change))
    assert response.status_code == 403
    assert reason in response.content.decode()


def test_url_for_another_rendition_is_forbidden(client, rendition):
    """A signature is bound to one name; it does not open another file."""
    other = Rendition.objects.exclude(pk=rendition.pk).first()
    good = urlsplit(serving.rendition_url(rendition))
    path = urlsplit(serving.rendition_url(other)).path
    assert client.get(f"{path}?{good.query}").status_code == 403


def test_expired_url_is_forbidden(client, rendition):
    """A URL past its expiry gets a 403, even with a valid signature."""
    url = serving.signed_url(rendition.name, ttl=60, now=time.time() - 120)
    response = client.get(url)
    assert response.status_code == 403
    assert "expired" in response.content.decode()


@pytest.mark.parametrize(
    "name",
    ["originals/x.jpg", "renditions/../../settings.py", "renditions/a/b/c.jpg"],
)
def test_names_outside_renditions_are_not_served(client, name):
    """Only well-formed rendition names can be served, whatever the signature."""
    url = serving.signed_url(name)
    assert client.get(url).status_code == 404


def test_embed_link_redirects_to_a_fresh_signed_url(client, rendition):
    """/e/<asset>/<preset>/ redirects to a working signed URL of the best rendition."""
    response = client.get(f"/e/{rendition.asset_id}/thumb/")
    assert response.status_code == 302
    assert response["Cache-Control"].startswith("private")
    image = client.get(response["Location"])
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    webp = client.get(f"/e/{rendition.asset_id}/thumb/?format=webp")
    assert client.get(webp["Location"])["Content-Type"] == "image/webp"


def test_embed_link_for_unknown_preset_is_404(client, rendition):
    """An embed link of a preset with no ready rendition answers 404."""
    assert client.get(f"/e/{rendition.asset_id}/nope/").status_code == 404


def test_superseded_rendition_keeps_serving_until_new_one_is_ready(
    client, presets, jpeg, django_capture_on_commit_callbacks
):
    """While a changed preset is rebuilding, the embed link still serves the old one."""
    from transcoder.models import Preset, RenditionStatus

    with django_capture_on_commit_callbacks(execute=True):
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    card = Preset.objects.get(slug="card")
    old = Rendition.objects.get(asset=asset, preset=card)
    card.width = card.height = 120
    card.save()  # not through the service: nothing rebuilt yet
    Rendition.objects.create(
        asset=asset, preset=card, digest="0" * 16, format="jpeg", name=""
    )
    response = client.get(f"/e/{asset.pk}/card/")
    assert old.name in response["Location"]
    services.renditions_generate(asset_id=asset.pk)
    new = Rendition.objects.get(
        asset=asset,
        preset=card,
        superseded_at__isnull=True,
        status=RenditionStatus.READY,
    )
    response = client.get(f"/e/{asset.pk}/card/")
    assert new.name in response["Location"] and new.width == 120


# --- the embed link: format negotiation, widths, unpublished and deleted ------

AVIF_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


@pytest.fixture
def hero(presets, jpeg, django_capture_on_commit_callbacks):
    """An asset with a three-width, three-format Hero preset built on commit."""
    from transcoder.models import Preset

    services.preset_save(
        preset=Preset(
            slug="hero",
            name="Hero",
            fit="contain",
            widths=[160, 320, 480],
            formats=["avif", "webp", "jpeg"],
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        return services.asset_create(content=jpeg, filename="a.jpg")


def _served(client, asset, query="", **headers):
    response = client.get(f"/e/{asset.pk}/hero/{query}", headers=headers)
    assert response.status_code == 302, response.content
    name = urlsplit(response["Location"]).path.removeprefix("/media/")
    return response, Rendition.objects.get(name=name)


@pytest.mark.parametrize(
    ("accept", "query", "expected"),
    [
        (AVIF_ACCEPT, "", "avif"),
        ("image/webp,image/*,*/*;q=0.8", "", "webp"),
        ("image/avif;q=0,image/webp", "", "webp"),
        ("image/*,*/*;q=0.8", "", "jpeg"),
        (None, "", "jpeg"),
        (AVIF_ACCEPT, "?format=WEBP", "webp"),
        (AVIF_ACCEPT, "?format=Jpg", "jpeg"),
        (AVIF_ACCEPT, "?format=png", "jpeg"),
        ("image/webp", "?format=png", "jpeg"),
    ],
)
def test_embed_link_negotiates_the_format(client, hero, accept, query, expected):
    """AVIF, then WebP, from Accept; explicit formats in any case; no PNG: JPEG."""
    headers = {"Accept": accept} if accept else {}
    response, row = _served(client, hero, query, **headers)
    assert row.format == expected
    assert "Accept" in response["Vary"]


def test_missing_format_never_falls_back_to_one_not_asked_for(
    client, presets, jpeg, django_capture_on_commit_callbacks
):
    """An AVIF-only preset serves AVIF only to browsers that name it, else 406."""
    from transcoder.models import Preset

    services.preset_save(
        preset=Preset(slug="modern", name="Modern", width=200, formats=["avif"])
    )
    with django_capture_on_commit_callbacks(execute=True):
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    url = f"/e/{asset.pk}/modern/"
    assert client.get(url, headers={"Accept": AVIF_ACCEPT}).status_code == 302
    refused = client.get(url + "?format=png", headers={"Accept": "image/png"})
    assert refused.status_code == 406


@pytest.mark.parametrize(
    ("query", "width"),
    [
        ("?w=100", 160),
        ("?w=160", 160),
        ("?w=161", 320),
        ("?w=200&dpr=2", 480),
        ("?w=100&dpr=1.5", 160),
        ("?w=5000", 480),
        ("", 480),
    ],
)
def test_w_and_dpr_pick_the_narrowest_width_that_covers(client, hero, query, width):
    """w times dpr picks the narrowest built width that covers it, else the widest."""
    assert _served(client, hero, query)[1].width == width


@pytest.mark.parametrize(
    "query",
    [
        "?w=%C2%B2",
        "?w=" + "9" * 5000,
        "?w=0",
        "?w=-5",
        "?w=12.5",
        "?dpr=%C2%B2",
        "?dpr=9",
        "?dpr=1e3",
        "?format=gif",
        "?format=" + "x" * 300,
    ],
)
def test_bad_embed_parameters_are_a_400(client, hero, query):
    """Numbers are ASCII digits within bounds; formats are ones mediahub makes."""
    response = client.get(f"/e/{hero.pk}/hero/{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == 400


def test_deactivated_preset_is_unpublished(client, hero):
    """A deactivated preset's embed link answers 404; reactivated, it serves again."""
    from transcoder.models import Preset

    assert client.get(f"/e/{hero.pk}/hero/").status_code == 302
    Preset.objects.filter(slug="hero").update(active=False)
    assert client.get(f"/e/{hero.pk}/hero/").status_code == 404
    Preset.objects.filter(slug="hero").update(active=True)
    assert client.get(f"/e/{hero.pk}/hero/").status_code == 302


def test_deleted_asset_is_gone_and_unknown_asset_is_not_found(client, hero):
    """After a delete the embed link answers 410; an id never seen answers 404."""
    import uuid

    asset_id = hero.pk
    services.asset_delete(asset=hero)
    assert client.get(f"/e/{asset_id}/hero/").status_code == 410
    assert client.get(f"/e/{uuid.uuid4()}/hero/").status_code == 404


# --- Originals download with the sniffed format's extension and type ---------

POLYGLOT_HTML = b"<html><body><script>alert(document.domain)</script></body></html>"


@pytest.fixture
def polyglot():
    """A real JPEG whose comment segment is an HTML page (browsers sniff HTML)."""
    from tests.images import make_image

    data = make_image("JPEG", size=(64, 48), comment=POLYGLOT_HTML)
    assert POLYGLOT_HTML in data[:400]
    return data


@pytest.mark.parametrize(
    ("filename", "fmt", "expected"),
    [
        ("invoice.html", "jpeg", "invoice.jpg"),
        ("Été à Paris.jpg", "jpeg", "Été à Paris.jpg"),
        ("photo.JPEG", "jpeg", "photo.jpg"),
        ("scan.tiff", "tiff", "scan.tif"),
        ("pic.png", "webp", "pic.webp"),
        ("iPhone.HEIC", "heif", "iPhone.heic"),
        ("report.pdf.svg", "png", "report.pdf.png"),
        ("../../etc/passwd", "png", "passwd.png"),
        ("C:\\Users\\me\\evil.html", "gif", "evil.gif"),
        ("\u202egpj.html", "png", "_gpj.png"),  # right-to-left override
        ("line\r\nbreak.html", "png", "line__break.png"),
        ("x\x00.html", "jpeg", "x_.jpg"),
        ("a;b\"c'd.html", "jpeg", "a_b_c'd.jpg"),
        (".htaccess", "png", "image.png"),
        ("...", "png", "image.png"),
        ("  . .png", "png", "image.png"),
        ("a" * 300 + ".html", "jpeg", "a" * 100 + ".jpg"),
        ("", "jpeg", "0123456789abcdef.jpg"),  # no name: the stored one
    ],
)
def test_download_name_keeps_the_stem_and_takes_the_sniffed_extension(
    filename, fmt, expected
):
    """The uploader's stem, made plain, then always the sniffed format's extension."""
    from transcoder.models import Asset

    asset = Asset(
        original_filename=filename,
        format=fmt,
        original="originals/00000000-0000-4000-8000-000000000000/0123456789abcdef.jpg",
    )
    assert serving.original_download_name(asset) == expected


def test_a_polyglot_uploaded_as_html_downloads_as_jpeg(admin_client, presets, polyglot):
    """invoice.html (a JPEG that is also a page) downloads as image/jpeg invoice.jpg."""
    asset = services.asset_create(content=polyglot, filename="invoice.html")
    assert asset.original_filename == "invoice.html"  # the record keeps what was said
    response = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/original/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'attachment; filename="invoice.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == polyglot  # untouched


def test_on_s3_the_polyglot_downloads_as_jpeg_too(s3, admin_client, presets, polyglot):
    """The presigned URL makes S3 answer with the sniffed type and the .jpg name."""
    import urllib.request

    asset = services.asset_create(content=polyglot, filename="invoice.html")
    response = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/original/")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["response-content-type"] == ["image/jpeg"]
    assert query["response-content-disposition"] == [
        'attachment; filename="invoice.jpg"'
    ]
    with urllib.request.urlopen(response["Location"], timeout=10) as fetched:  # noqa: S310
        assert fetched.headers["Content-Type"] == "image/jpeg"
        assert fetched.headers["Content-Disposition"] == (
            'attachment; filename="invoice.jpg"'
        )
        assert fetched.read() == polyglot
