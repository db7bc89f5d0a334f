"""Usage: count requests to embed links per asset, embedding site and day.

One statement per request, an upsert that increments in the database, so
concurrent requests never lose a count and nothing is read first:
``INSERT ... ON CONFLICT (asset, origin, day) DO UPDATE SET count = count + 1``
(SQLite 3.24+ and PostgreSQL both speak it). Only the site's scheme and host
are kept: no path, no query, no user, no address.
"""

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import DatabaseError, connection
from django.db.models import Sum
from django.utils import timezone

from transcoder.models import UsageDay

logger = logging.getLogger(__name__)

# What the asset page and the delete warnings sum over.
WINDOW_DAYS = 30


def usage_origin(*, origin=None, referer=None):
    """Return ``scheme://host[:port]`` of the embedding page, or "" if none is named.

    Origin wins over Referer; user names, passwords, paths and queries are
    dropped, and the host is lower-case.
    """
    for value in (origin, referer):
        if not value or value == "null":
            continue
        try:
            parts = urlsplit(value)
            host, port = parts.hostname, parts.port
        except ValueError:
            continue
        if parts.scheme not in ("http", "https") or not host:
            continue
        default = {"http": 80, "https": 443}[parts.scheme]
        text = f"{parts.scheme}://{host}" + (
            f":{port}" if port and port != default else ""
        )
        return text[:255]
    return ""


def _upsert_sql():
    meta = UsageDay._meta
    q = connection.ops.quote_name
    table = q(meta.db_table)
    asset, origin, day, count = (
        q(meta.get_field(name).column) for name in ("asset", "origin", "day", "count")
    )
    # Only quoted model metadata is formatted in; the values are parameters.
    return (
        f"INSERT INTO {table} ({asset}, {origin}, {day}, {count}) "  # noqa: S608
        f"VALUES (%s, %s, %s, 1) "
        f"ON CONFLICT ({asset}, {origin}, {day}) "
        f"DO UPDATE SET {count} = {table}.{count} + 1"
    )


def usage_record(*, asset_id, origin, day=None):
    """Count one embed request of ``asset_id`` from ``origin`` (one statement).

    A failure is logged, never raised: counting must not break the redirect.
    """
    day = day or timezone.localdate()
    field = UsageDay._meta.get_field("asset")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                _upsert_sql(),
                [
                    field.get_db_prep_value(asset_id, connection),
                    origin,
                    UsageDay._meta.get_field("day").get_db_prep_value(day, connection),
                ],
            )
    except DatabaseError:
        logger.exception("Could not count a request of asset %s", asset_id)


def usage_summary(*, asset_ids, days=WINDOW_DAYS, limit=10):
    """Return ``[{"origin", "requests", "requests_text"}]``, busiest first.

    Over the last ``days`` days. ``asset_ids`` may be a queryset (a preset's
    assets): the sum stays one indexed, grouped query whatever their number.
    """
    since = timezone.localdate() - timedelta(days=days - 1)
    rows = (
        UsageDay.objects.filter(asset_id__in=asset_ids, day__gte=since)
        .values("origin")
        .annotate(requests=Sum("count"))
        .order_by("-requests", "origin")[:limit]
    )
    return [
        {
            "origin": r["origin"],
            "requests": r["requests"],
            "requests_text": f"{r['requests']:,}",
        }
        for r in rows
    ]


def usage_total(*, asset_ids, days=WINDOW_DAYS):
    """Return the number of embed requests of these assets in the last ``days``."""
    since = timezone.localdate() - timedelta(days=days - 1)
    total = UsageDay.objects.filter(asset_id__in=asset_ids, day__gte=since).aggregate(
        n=Sum("count")
    )["n"]
    return total or 0
