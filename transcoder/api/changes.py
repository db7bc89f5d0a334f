"""GET /api/changes/: what changed since a cursor, for sites and search indexes.

The change log (services.changes) is read in id order, which is commit order,
within the token's reach (``permissions.changes``): a follower that stores
``next_cursor`` and asks again never misses a change nor sees one twice.
"""

import base64
import binascii

from django.http import JsonResponse

from transcoder import permissions
from transcoder.api.auth import endpoint
from transcoder.api.errors import ApiError
from transcoder.api.representation import asset_json, assets_for_api
from transcoder.conf import setting
from transcoder.models import Change, Event
from transcoder.services.changes import (
    ASSET_EVENTS,
    changes_head,
    changes_pruned_through,
)
from transcoder.web import params

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
_PREFIX = "chg1:"


def cursor_for(change_id):
    """Return the opaque cursor just after change ``change_id``."""
    raw = f"{_PREFIX}{change_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_position(cursor):
    """Return the change id a cursor stands after, or raise a 404.

    As for the asset list's cursor: one this API did not give out is not
    found, as a page past the end is.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (UnicodeError, ValueError, binascii.Error):
        raw = ""
    number = raw.removeprefix(_PREFIX)
    if not raw.startswith(_PREFIX) or not number.isdigit() or len(number) > 19:
        raise ApiError(
            404,
            "There is no such cursor: since must be a next_cursor this API gave "
            "out, or now; leave it out to start from the oldest change.",
        )
    return int(number)


def _changes(request, *, token):
    """List asset changes after ``since`` (oldest first) within the token's reach.

    ``since=now`` answers no changes and the cursor of the present: list the
    assets once, then follow from there.
    """
    since = request.GET.get("since")
    limit = params.optional_integer(request.GET, "limit", low=1, high=MAX_PAGE_SIZE)
    limit = limit or PAGE_SIZE
    if since == "now":
        return JsonResponse(
            {"results": [], "next_cursor": cursor_for(changes_head()), "more": False}
        )
    after = cursor_position(since) if since is not None else 0
    if since is not None and after < changes_pruned_through():
        raise ApiError(
            410,
            "This cursor is older than the changes kept "
            f"({setting('CHANGES_DAYS')} days): list the images again, then "
            "follow from since=now.",
        )
    user = token.created_by
    rows = list(
        permissions.changes(user, Change.objects.filter(event__in=ASSET_EVENTS))
        .filter(id__gt=after)
        .order_by("id")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    visible = set(permissions.collections(user, "view").values_list("pk", flat=True))
    assets = {
        a.pk: a
        for a in permissions.assets(
            user, "view", assets_for_api(renditions=False)
        ).filter(pk__in={r.asset_id for r in rows})
    }
    results = [_item(request, row, visible, assets) for row in rows]
    position = rows[-1].id if rows else after
    return JsonResponse(
        {"results": results, "next_cursor": cursor_for(position), "more": more}
    )


def _item(request, row, visible, assets):
    event = row.event
    moved_out = (
        row.previous_collection_id is not None and row.collection_id not in visible
    )
    if moved_out:
        # Moved to a collection the caller may not view: gone, for them.
        event = Event.DELETED
    asset = assets.get(row.asset_id) if event != Event.DELETED else None
    return {
        "id": row.id,
        "event": event,
        "at": row.at.isoformat(),
        "asset_id": str(row.asset_id),
        "moved_out": moved_out,
        "asset": asset_json(request, asset, renditions=False) if asset else None,
    }


change_list = endpoint(GET=("read", _changes, {"since", "limit"}))
