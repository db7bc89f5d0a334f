"""{% rendition %} and {% picture %} only look up what exists."""

import pytest
from django.template import Context, Template

from transcoder import services
from transcoder.models import Preset, Rendition

pytestmark = pytest.mark.django_db


def _render(source, **context):
    return Template("{% load transcoder_tags %}" + source).render(Context(context))


def test_picture_has_a_source_per_format_and_a_fallback(commit, presets, jpeg):
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
    with commit():
        asset = services.asset_create(
            content=jpeg, filename="a.jpg", alt_text="A <cat>"
        )
    html = _render('{% picture asset "hero" sizes="50vw" %}', asset=asset)
    assert html.count("<source") == 2
    assert 'type="image/webp"' in html and 'type="image/jpeg"' in html
    assert " 200w, " in html and " 400w" in html
    assert 'sizes="50vw"' in html
    assert 'alt="A &lt;cat&gt;"' in html
    assert 'width="400" height="200"' in html


def test_rendition_tag_picks_the_asked_format(commit, presets, jpeg):
    """{% rendition %} renders an <img> of the asked format."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    html = _render('{% rendition asset "thumb" format="webp" %}', asset=asset)
    name = Rendition.objects.get(asset=asset, preset__slug="thumb", format="webp").name
    assert name in html and 'width="100"' in html


def test_tags_render_nothing_and_build_nothing_when_not_ready(commit, presets, jpeg):
    """Without a ready rendition the tags render nothing and never build one."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.update(status="pending")
    with commit():  # whatever a render might queue runs here
        assert _render('{% picture asset "thumb" %}', asset=asset) == ""
        assert _render('{% rendition asset "card" %}', asset=asset) == ""
    assert set(Rendition.objects.values_list("status", flat=True)) == {"pending"}


def test_tags_emit_size_lazy_loading_and_async_decoding(commit, presets, jpeg):
    """Both tags give width, height, loading="lazy" and decoding="async" once each."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    for source in ('{% picture asset "thumb" %}', '{% rendition asset "card" %}'):
        html = _render(source, asset=asset)
        for attribute in ('loading="lazy"', 'decoding="async"', "width=", "height="):
            assert html.count(attribute) == 1, (source, attribute, html)


def test_tags_pass_sizes_and_overrides_through(commit, presets, jpeg):
    """sizes reaches the <img>; loading="eager" and fetchpriority replace defaults."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    html = _render(
        '{% rendition asset "card" sizes="(min-width: 600px) 50vw, 100vw" '
        'loading="eager" fetchpriority="high" %}',
        asset=asset,
    )
    assert 'sizes="(min-width: 600px) 50vw, 100vw"' in html
    assert 'loading="eager"' in html and 'loading="lazy"' not in html
    assert 'fetchpriority="high"' in html and 'decoding="async"' in html
    picture = _render(
        '{% picture asset "thumb" sizes="33vw" class="hero" %}', asset=asset
    )
    assert picture.count('sizes="33vw"') == 2 and 'class="hero"' in picture


def test_tags_render_nothing_for_a_deactivated_preset(commit, presets, jpeg):
    """A deactivated preset is unpublished in templates too."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    assert _render('{% rendition asset "thumb" %}', asset=asset) != ""
    Preset.objects.filter(slug="thumb").update(active=False)
    assert _render('{% picture asset "thumb" %}', asset=asset) == ""
    assert _render('{% rendition asset "thumb" %}', asset=asset) == ""


def test_tag_urls_are_stable_across_renders(commit, presets, jpeg):
    """Two renders give the same HTML, so the browser reuses its cached images."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    first = _render('{% picture asset "thumb" %}', asset=asset)
    assert "<img" in first
    assert _render('{% picture asset "thumb" %}', asset=asset) == first


@pytest.mark.parametrize(
    ("decorative", "alt"), [(False, 'alt="A red boat"'), (True, 'alt=""')]
)
def test_tags_emit_empty_alt_on_purpose_for_decorative_images(
    commit, presets, jpeg, decorative, alt
):
    """A decorative image gets alt="" in both tags, even with alt text written."""
    with commit():
        asset = services.asset_create(
            content=jpeg, filename="a.jpg", alt_text="A red boat"
        )
    asset.decorative = decorative
    html = _render(
        "{% rendition asset 'card' %}{% picture asset 'card' %}", asset=asset
    )
    assert html.count(alt) == 2
