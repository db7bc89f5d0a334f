"""Embedded-default delivery: signed, expiring URLs checked as CloudFront does."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from transcoder import delivery, services
from transcoder.models import Rendition

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rendition(presets, jpeg):
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    return Rendition.objects.get(asset=asset, preset__slug="thumb", format="webp")


def _tamper(url, **changes):
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts.path + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_signed_url_serves_the_rendition_with_immutable_headers(client, rendition):
    """A fresh signed URL answers 200 with the right type and long immutable caching."""
    response = client.get(delivery.rendition_url(rendition))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    body = b"".join(response.streaming_content)
    assert body[:4] == b"RIFF" and len(body) == rendition.bytes


def test_url_expires_after_the_ttl(client, settings, rendition):
    """The URL carries an expiry MEDIAHUB_URL_TTL seconds ahead."""
    settings.MEDIAHUB_URL_TTL = 120
    url = delivery.rendition_url(rendition)
    expires = int(parse_qs(urlsplit(url).query)["Expires"][0])
    assert abs(expires - (time.time() + 120)) < 5


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
    response = client.get(_tamper(delivery.rendition_url(rendition), **change))
    assert response.status_code == 403
    assert reason in response.content.decode()


def test_url_for_another_rendition_is_forbidden(client, rendition):
    """A signature is bound to one name; it does not open another file."""
    other = Rendition.objects.exclude(pk=rendition.pk).first()
    good = urlsplit(delivery.rendition_url(rendition))
    path = urlsplit(delivery.rendition_url(other)).path
    assert client.get(f"{path}?{good.query}").status_code == 403


def test_expired_url_is_forbidden(client, rendition):
    """A URL past its expiry gets a 403, even with a valid signature."""
    url = delivery.signed_url(rendition.name, ttl=60, now=time.time() - 120)
    response = client.get(url)
    assert response.status_code == 403
    assert "expired" in response.content.decode()


@pytest.mark.parametrize(
    "name",
    ["originals/x.jpg", "renditions/../../settings.py", "renditions/a/b/c.jpg"],
)
def test_names_outside_renditions_are_not_served(client, name):
    """Only well-formed rendition names can be served, whatever the signature."""
    url = delivery.signed_url(name)
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
    client, presets, jpeg
):
    """While a changed preset is rebuilding, the embed link still serves the old one."""
    from transcoder.models import Preset, RenditionStatus

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
