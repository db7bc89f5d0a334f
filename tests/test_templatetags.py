"""{% rendition %} and {% picture %} only look up what exists."""

import pytest
from django.template import Context, Template

from transcoder import services
from transcoder.models import Preset, Rendition

pytestmark = pytest.mark.django_db(transaction=True)


def _render(source, **context):
    return Template("{% load transcoder_tags %}" + source).render(Context(context))


def test_picture_has_a_source_per_format_and_a_fallback(presets, jpeg):
    """A responsive preset gives AVIF/WebP sources with srcsets and a JPEG fallback."""
    services.preset_save(
        preset=Preset(
            slug="hero",
            name="Hero",
            fit="cover",
            width=400,
            height=200,
            widths=[200, 400],
            formats=["webp", "jpeg"],
        )
    )
    asset = services.asset_create(content=jpeg, filename="a.jpg", alt_text="A <cat>")
    html = _render('{% picture asset "hero" sizes="50vw" %}', asset=asset)
    assert html.count("<source") == 2
    assert 'type="image/webp"' in html and 'type="image/jpeg"' in html
    assert " 200w, " in html and " 400w" in html
    assert 'sizes="50vw"' in html
    assert 'alt="A &lt;cat&gt;"' in html
    assert 'width="400" height="200"' in html


def test_rendition_tag_picks_the_asked_format(presets, jpeg):
    """{% rendition %} renders an <img> of the asked format."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    html = _render('{% rendition asset "thumb" format="webp" %}', asset=asset)
    name = Rendition.objects.get(asset=asset, preset__slug="thumb", format="webp").name
    assert name in html and 'width="100"' in html


def test_tags_render_nothing_and_build_nothing_when_not_ready(presets, jpeg):
    """Without a ready rendition the tags render nothing and never build one."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.update(status="pending")
    assert _render('{% picture asset "thumb" %}', asset=asset) == ""
    assert _render('{% rendition asset "card" %}', asset=asset) == ""
    assert set(Rendition.objects.values_list("status", flat=True)) == {"pending"}
