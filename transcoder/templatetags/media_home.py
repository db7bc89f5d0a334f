"""{% media_home %}: the editor's panels on the admin index (see admin.shell.home)."""

from django import template

from transcoder.admin.shell.home import media_home as home_panels

register = template.Library()


@register.inclusion_tag("admin/transcoder/home/_home.html", takes_context=True)
def media_home(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"home": home_panels(user=user) if user is not None else None}


@register.simple_tag
def asset_thumbnail(asset):
    """Return the list's thumbnail of ``asset`` (from existing renditions only)."""
    from transcoder.admin.shell import html

    return html.thumbnail(asset)
