"""Admin forms: preset errors by their field, in words an editor can act on."""

import pytest

from transcoder.admin.shell.forms import PresetForm

BASE = {
    "name": "Hero",
    "slug": "hero",
    "fit": "contain",
    "width": "800",
    "height": "",
    "widths": "",
    "formats": ["jpeg"],
    "quality": "80",
    "background": "#ffffff",
    "active": "on",
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"width": "0"}, "width", "greater than or equal to 1"),
        ({"height": "0"}, "height", "greater than or equal to 1"),
        ({"fit": "cover"}, "height", "A cover crop needs both a width and a height"),
        ({"fit": "cover", "width": "", "height": "200"}, "width", "needs both"),
        ({"width": ""}, "width", "Give a width, a height or both"),
        ({"widths": "640, 640"}, "widths", "must not repeat"),
        ({"widths": "640, 9000"}, "widths", "Each width must be a whole number"),
        ({"quality": "0"}, "quality", "from 1 to 100"),
    ],
)
def test_preset_errors_appear_by_their_field(change, field, message):
    """Each refusal is attached to the field it is about, never the form's top."""
    form = PresetForm(data=BASE | change)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])
    assert "__all__" not in form.errors


@pytest.mark.django_db
def test_width_input_says_one_is_the_least(db):
    """The browser's own hint matches the server: at least 1 px, not 0."""
    form = PresetForm()
    assert form.fields["width"].widget.attrs["min"] == 1
    assert 'min="1"' in str(form["height"])


@pytest.mark.django_db
def test_a_valid_preset_form_passes(db):
    """The base data is valid, so each case above fails for its own reason."""
    assert PresetForm(data=BASE).is_valid()
