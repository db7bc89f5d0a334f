"""The asset page's edit panel and the words for an edit (admin/images/edits.py)."""

from django import template

from transcoder.admin.images import edits

register = template.Library()


@register.inclusion_tag("admin/transcoder/asset/_edit.html")
def edit_panel(asset):
    """Render the "Edit the picture" panel of ``asset``."""
    return edits.panel_context(asset)


@register.filter
def edit_summary(edit):
    """Return what a stored edit does, in words ("Turned 90° clockwise, mirrored")."""
    return edits.describe(edit)
