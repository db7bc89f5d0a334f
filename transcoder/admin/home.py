"""The media home: what the admin index shows an editor, read through the policy.

Every figure is limited to the assets the user may see (transcoder.permissions)
and bounded: counts and sums are aggregates, lists have a LIMIT.
"""

from django.db.models import Count, Prefetch, Sum
from django.urls import reverse

from transcoder import permissions, selectors
from transcoder.models import Rendition, RenditionStatus

RECENT = 8
FAILED = 5
COLLECTIONS = 20


def media_home(*, user):
    """Return the home's panels for ``user``, or None if they see no assets."""
    if not permissions.may_any(user):
        return None
    visible = permissions.assets(user, "view")
    changelist = reverse("admin:transcoder_asset_changelist")
    current = Rendition.objects.filter(superseded_at__isnull=True)
    failed_ids = current.filter(
        status=RenditionStatus.FAILED, preset__active=True
    ).values("asset_id")
    failed = visible.filter(pk__in=failed_ids)
    recent = (
        visible.select_related("collection")
        .prefetch_related(
            Prefetch("renditions", queryset=current, to_attr="current_renditions")
        )
        .order_by("-created_at")[:RECENT]
    )
    return {
        "can_add": permissions.may(user, "add"),
        "upload_url": reverse("admin:transcoder_asset_upload"),
        "changelist_url": changelist,
        "recent": list(recent),
        "failed_count": failed.count(),
        "failed": list(failed.order_by("-created_at")[:FAILED]),
        "failed_url": f"{changelist}?renditions=failed",
        "missing_alt_count": selectors.assets_missing_alt_count(visible),
        "missing_alt_url": f"{changelist}?alt=missing",
        "storage": storage_by_collection(visible=visible),
    }


def storage_by_collection(*, visible):
    """Return the largest collections of ``visible`` with asset count and bytes.

    Bytes are the originals plus their renditions (current and superseded:
    what the bucket holds until a purge).
    """
    rows = list(
        visible.values("collection_id", "collection__name", "collection__path")
        .annotate(assets=Count("pk"), original_bytes=Sum("bytes"))
        .order_by("-original_bytes")[:COLLECTIONS]
    )
    ids = [r["collection_id"] for r in rows]
    rendition_bytes = dict(
        Rendition.objects.filter(
            asset__in=visible.filter(collection_id__in=ids).values("pk")
        )
        .values("asset__collection_id")
        .annotate(total=Sum("bytes"))
        .values_list("asset__collection_id", "total")
    )
    for row in rows:
        row["rendition_bytes"] = rendition_bytes.get(row["collection_id"]) or 0
        row["total_bytes"] = (row["original_bytes"] or 0) + row["rendition_bytes"]
        row["url"] = (
            reverse("admin:transcoder_asset_changelist")
            + f"?collection={row['collection_id']}"
        )
    return rows
