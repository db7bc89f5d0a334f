"""Usage: count requests to embed links per asset, embedding site and day.

One statement per request, an upsert that increments in the database, so
concurrent requests never lose a count and nothing is read first:
``INSERT ... ON CONFLICT (asset, origin, day) DO UPDATE SET count = count + 1``
(SQLite 3.24+ and PostgreSQL both speak it). Only the site's scheme and host
are kept: no path, no query, no user, no address.

Anyone can send any ``Origin``, so an asset gets at most
MEDIAHUB_USAGE_MAX_ORIGINS rows a day: past that, a new origin is not counted
while those already recorded go on counting. The bound is in the same
statement (``INSERT ... SELECT ... WHERE``), not a read before it. Origins
that need no bound are always counted: "" (no site named) is a single row,
and an origin a site key is bound to was listed by an administrator.
"""

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import DatabaseError, connection
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.formats import number_format

from transcoder.conf import setting
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


def _upsert_sql(*, bounded=False):
    """Return the one statement that counts a request.

    Its parameters are (asset, origin, day); ``bounded`` adds (asset, day,
    bound, asset, origin, day): a new row only while the asset has fewer than
    ``bound`` rows that day, or when the row exists already (then the
    conflict clause adds one to it).
    """
    meta = UsageDay._meta
    q = connection.ops.quote_name
    table = q(meta.db_table)
    asset, origin, day, count = (
        q(meta.get_field(name).column) for name in ("asset", "origin", "day", "count")
    )
    # Only quoted model metadata is formatted in; the values are parameters.
    # SQLite needs the WHERE of an INSERT ... SELECT to parse ON CONFLICT.
    rows = (
        "VALUES (%s, %s, %s, 1) "
        if not bounded
        else (
            "SELECT %s, %s, %s, 1 WHERE ("  # noqa: S608
            f"SELECT COUNT(*) FROM {table} WHERE {asset} = %s AND {day} = %s"
            ") < %s OR EXISTS ("
            f"SELECT 1 FROM {table} "
            f"WHERE {asset} = %s AND {origin} = %s AND {day} = %s) "
        )
    )
    return (
        f"INSERT INTO {table} ({asset}, {origin}, {day}, {count}) "  # noqa: S608
        + rows
        + f"ON CONFLICT ({asset}, {origin}, {day}) "
        f"DO UPDATE SET {count} = {table}.{count} + 1"
    )


def usage_record(*, asset_id, origin, day=None, proven=False):
    """Count one embed request of ``asset_id`` from ``origin`` (one statement).

    A new origin is counted only within MEDIAHUB_USAGE_MAX_ORIGINS a day,
    unless it is "" or ``proven`` (an origin the request's site key is bound
    to). A failure is logged, never raised: counting must not break the
    redirect.
    """
    day = day or timezone.localdate()
    asset = UsageDay._meta.get_field("asset").get_db_prep_value(asset_id, connection)
    day = UsageDay._meta.get_field("day").get_db_prep_value(day, connection)
    bounded = bool(origin) and not proven
    params = [asset, origin, day]
    if bounded:
        params += [asset, day, setting("USAGE_MAX_ORIGINS"), asset, origin, day]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_upsert_sql(bounded=bounded), params)
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
            "requests_text": number_format(r["requests"], force_grouping=True),
        }
        for r in rows
    ]


def usage_by_asset(*, asset_ids, days=WINDOW_DAYS, limit=10):
    """Return ``(rows, in_use)``: the busiest ``limit`` of these assets, and how
    many of them were requested at all in the last ``days`` days.

    Each row is ``{"asset_id", "requests", "sites"}`` (sites: origins named,
    "" not counted), busiest first. Two grouped queries whatever the
    selection's size; ``asset_ids`` may be a queryset.
    """
    since = timezone.localdate() - timedelta(days=days - 1)
    used = UsageDay.objects.filter(asset_id__in=asset_ids, day__gte=since)
    rows = (
        used.values("asset_id")
        .annotate(
            requests=Sum("count"),
            sites=Count("origin", distinct=True, filter=~Q(origin="")),
        )
        .order_by("-requests", "asset_id")[:limit]
    )
    in_use = used.values("asset_id").distinct().count()
    return list(rows), in_use


def usage_total(*, asset_ids, days=WINDOW_DAYS):
    """Return the number of embed requests of these assets in the last ``days``."""
    since = timezone.localdate() - timedelta(days=days - 1)
    total = UsageDay.objects.filter(asset_id__in=asset_ids, day__gte=since).aggregate(
        n=Sum("count")
    )["n"]
    return total or 0
