"""GET /api/changes/: what changed since a cursor, for sites and search indexes.

The change log (services.outbox.changes) is read in id order, which is commit order,
within the token's reach (``permissions.changes``): a follower that stores
``next_cursor`` and asks again never misses a change nor sees one twice.
"""

import base64
import binascii
import re

from django.http import JsonResponse

from transcoder import permissions
from transcoder.api.core.auth import endpoint
from transcoder.api.core.errors import ApiError
from transcoder.api.representation import asset_json, assets_for_api
from transcoder.conf import setting
from transcoder.models import Change, Event
from transcoder.services.outbox.changes import (
    ASSET_EVENTS,
    changes_head,
    changes_pruned_through,
)
from transcoder.web import params

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# chg1:<id> was given out before cursors kept the reach; chg2:<id>.<mark>
# keeps the reach it was read with (permissions.reach_mark).
_PREFIX = "chg1:"
_REACH_PREFIX = "chg2:"
_MARK = re.compile(r"all|[0-9a-f]{16}")


def cursor_for(change_id, reach=None):
    """Return the opaque cursor just after change ``change_id``, read within
    the reach marked ``reach`` (None: an older cursor, which kept none)."""
    if reach is None:
        raw = f"{_PREFIX}{change_id}"
    else:
        raw = f"{_REACH_PREFIX}{change_id}.{reach}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_position(cursor):
    """Return (change id, reach mark or None) of a cursor, or raise a 404.

    As for the asset list's cursor: one this API did not give out is not
    found, as a page past the end is.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (UnicodeError, ValueError, binascii.Error):
        raw = ""
    number, mark = raw.removeprefix(_PREFIX), None
    if raw.startswith(_REACH_PREFIX):
        number, _, mark = raw.removeprefix(_REACH_PREFIX).partition(".")
    known = raw.startswith((_PREFIX, _REACH_PREFIX))
    if (
        not known
        or not number.isdigit()
        or len(number) > 19
        or (mark is not None and not _MARK.fullmatch(mark))
    ):
        raise ApiError(
            404,
            "There is no such cursor: since must be a next_cursor this API gave "
            "out, or now; leave it out to start from the oldest change.",
        )
    return int(number), mark


def _changes(request, *, token):
    """List asset changes after ``since`` (oldest first) within the token's reach.

    ``since=now`` answers no changes and the cursor of the present: list the
    assets once, then follow from there.
    """
    since = request.GET.get("since")
    limit = params.optional_integer(request.GET, "limit", low=1, high=MAX_PAGE_SIZE)
    limit = limit or PAGE_SIZE
    user = token.created_by
    visible = set(permissions.collections(user, "view").values_list("pk", flat=True))
    mark = permissions.reach_mark(user, visible)
    if since == "now":
        return JsonResponse(
            {
                "results": [],
                "next_cursor": cursor_for(changes_head(), mark),
                "more": False,
            }
        )
    after, seen = cursor_position(since) if since is not None else (0, None)
    if since is not None and after < changes_pruned_through():
        raise ApiError(
            410,
            "This cursor is older than the changes kept "
            f"({setting('CHANGES_DAYS')} days): list the images again, then "
            "follow from since=now.",
        )
    if seen is not None and seen != mark:
        # The feed is filtered by reach: read on, a follower would keep images
        # it may no longer view and never hear of ones it now may.
        raise ApiError(
            410,
            "The collections this token may view have changed since this "
            "cursor (a grant, a collection moved or made, or its owner's "
            "groups): list the images again, then follow from since=now.",
        )
    rows = list(
        permissions.changes(user, Change.objects.filter(event__in=ASSET_EVENTS))
        .filter(id__gt=after)
        .order_by("id")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    assets = {
        a.pk: a
        for a in permissions.assets(
            user, "view", assets_for_api(renditions=False)
        ).filter(pk__in={r.asset_id for r in rows})
    }
    results = [_item(request, row, visible, assets) for row in rows]
    position = rows[-1].id if rows else after
    return JsonResponse(
        {"results": results, "next_cursor": cursor_for(position, mark), "more": more}
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
