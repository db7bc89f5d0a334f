"""The media home: what the admin index shows an editor, read through the policy.

Every figure is limited to the assets the user may see (transcoder.permissions)
and bounded whatever the library's size: the sums come per collection from
the kept totals (selectors.collection_totals), and lists have a LIMIT on a
partial index in list order.
"""

from django.db.models import Prefetch
from django.urls import reverse

from transcoder import permissions, selectors
from transcoder.models import Rendition

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
    failed = visible.filter(rendition_state__in=selectors.FAILED_STATES)
    recent = (
        visible.select_related("collection")
        .prefetch_related(
            Prefetch("renditions", queryset=current, to_attr="current_renditions")
        )
        .order_by("-created_at")[:RECENT]
    )
    totals = selectors.collection_totals(user)
    return {
        "can_add": permissions.may(user, "add"),
        "upload_url": reverse("admin:transcoder_asset_upload"),
        "changelist_url": changelist,
        "recent": list(recent),
        "failed_count": sum(row["failed"] for row in totals),
        "failed": list(failed.order_by("-created_at")[:FAILED]),
        "failed_url": f"{changelist}?renditions=failed",
        "missing_alt_count": sum(row["missing_alt"] for row in totals),
        "missing_alt_url": f"{changelist}?alt=missing",
        "storage": storage_by_collection(totals=totals),
    }


def storage_by_collection(*, totals):
    """Return the largest collections of ``totals`` with asset count and bytes.

    Bytes are the originals plus their renditions (current and superseded:
    what the bucket holds until a purge).
    """
    rows = sorted(totals, key=lambda r: (-r["original_bytes"], r["path"]))
    changelist = reverse("admin:transcoder_asset_changelist")
    return [
        {
            **row,
            "collection__name": row["name"],
            "total_bytes": row["original_bytes"] + row["rendition_bytes"],
            "url": f"{changelist}?collection={row['collection_id']}",
        }
        for row in rows[:COLLECTIONS]
    ]
