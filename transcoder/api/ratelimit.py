"""Requests per token per minute, counted in the database.

One row per token and minute, raised with one atomic upsert (PostgreSQL and
SQLite both have INSERT ... ON CONFLICT ... RETURNING), so the limit holds
across Lambda containers without a shared cache.
"""

import math
import time

from django.db import connection

from transcoder.conf import setting
from transcoder.models import ApiRateWindow

# The one clock the limiter reads; tests pin it.
clock = time.time


def rate_limit_hit(*, token, now=None):
    """Count one request of ``token``; return (count, seconds until the next minute)."""
    now = clock() if now is None else now
    minute = int(now // 60)
    table = connection.ops.quote_name(ApiRateWindow._meta.db_table)
    count = connection.ops.quote_name("count")
    with connection.cursor() as cursor:
        # The names are ours, quoted by the backend; only values are parameters.
        sql = (
            f"INSERT INTO {table} (token_id, minute, {count}) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (token_id, minute) "
            f"DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}"
        )
        cursor.execute(sql, [token.pk, minute])
        (value,) = cursor.fetchone()
    if value == 1:
        # The first request of a minute clears the token's older rows.
        ApiRateWindow.objects.filter(token=token, minute__lt=minute).delete()
    return value, max(1, math.ceil((minute + 1) * 60 - now))


def rate_limit_exceeded(*, token, now=None):
    """Return the Retry-After seconds if ``token`` is over its limit, else None."""
    count, retry_after = rate_limit_hit(token=token, now=now)
    return retry_after if count > setting("API_RATE_LIMIT") else None
