"""Snapshots of what a request could change: rows and stored files."""

from django.contrib.auth.models import Group, User
from taggit.models import Tag

from transcoder.models import (
    ApiToken,
    Asset,
    AssetVersion,
    Collection,
    GroupCollectionPermission,
    Job,
    Preset,
    Rendition,
    SiteKey,
    TaggedAsset,
    UploadWidgetKey,
    WidgetUpload,
)


def snapshot(media_root):
    """Return the state of every row and file a door could touch.

    Left out on purpose: sessions, login logs, rate windows, a token's
    last-used time and usage counts, which reading may change.
    """
    tags = {}
    for asset_id, name in TaggedAsset.objects.values_list(
        "content_object_id", "tag__name"
    ):
        tags.setdefault(str(asset_id), []).append(name)
    fields = ["title", "alt_text", "decorative", "collection_id", "content_hash"]
    fields += ["original", "focal_x", "focal_y", "trashed_at"]
    fields += ["focal_width", "focal_height", "focal_decided", "focal_suggestion"]
    # Trashed assets too: a refused restore or erase must change nothing.
    assets = {
        str(pk): (*row, tuple(sorted(tags.get(str(pk), []))))
        for pk, *row in Asset.all_objects.values_list("pk", *fields)
    }
    return {
        "assets": assets,
        "versions": sorted(
            AssetVersion.objects.values_list("asset_id", "content_hash")
        ),
        "renditions": sorted(
            Rendition.objects.values_list("asset_id", "name", "status", "attempts")
        ),
        "jobs": sorted(
            str(ids)
            for ids in Job.objects.values_list("asset_ids", flat=True)
            if ids != []
        ),
        "tokens": sorted(
            ApiToken.objects.values_list(
                "pk", "name", "active", "scope_read", "scope_write", "created_by_id"
            )
        ),
        "collections": sorted(Collection.objects.values_list("pk", "path", "name")),
        "grants": sorted(
            GroupCollectionPermission.objects.values_list(
                "group_id", "collection_id", "permission_id"
            )
        ),
        "presets": sorted(
            Preset.objects.values_list("pk", "slug", "name", "width", "active")
        ),
        "site_keys": sorted(SiteKey.objects.values_list("pk", "name", "active")),
        "widget_keys": sorted(
            UploadWidgetKey.objects.values_list("pk", "name", "active")
        ),
        "widget_uploads": sorted(
            (str(pk), state, str(asset))
            for pk, state, asset in WidgetUpload.objects.values_list(
                "pk", "state", "asset_id"
            )
        ),
        "users": sorted(
            User.objects.values_list(
                "pk", "username", "is_active", "is_staff", "is_superuser", "password"
            )
        ),
        "groups": sorted(Group.objects.values_list("pk", "name")),
        "tags": sorted(Tag.objects.values_list("name", flat=True)),
        "files": files(media_root),
    }


def files(root):
    """Return the library's files; pending uploads under uploads/ are left out:
    they are the uploader's until finalized, and a refusal may drop them."""
    if not root.exists():
        return {}
    return {
        name: p.stat().st_size
        for p in root.rglob("*")
        if p.is_file() and not (name := str(p.relative_to(root))).startswith("uploads/")
    }


def asset_state(state, asset_id):
    """Return the part of ``state`` that belongs to one asset."""
    key = str(asset_id)
    return (
        state["assets"].get(key),
        [v for v in state["versions"] if str(v[0]) == key],
        [r for r in state["renditions"] if str(r[0]) == key],
        {f: s for f, s in state["files"].items() if f"/{key}/" in f"/{f}"},
    )
