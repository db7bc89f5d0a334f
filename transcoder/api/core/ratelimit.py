"""Requests per bucket in a sliding minute, counted in the database.

A bucket is a token, a publishable key, or a publishable key and one visitor
address. Each has one row per minute, raised with one atomic upsert
(PostgreSQL and SQLite both have INSERT ... ON CONFLICT ... RETURNING), so the
limit holds across Lambda containers without a shared cache.

A fixed window lets a client send the whole limit at the end of one minute
and again at the start of the next: twice the limit within a second. The
previous minute's count is therefore weighed by how much of it still lies
within the last 60 seconds (a sliding window counter, as Cloudflare's):
``previous * (1 - elapsed) + current``. A refused request is taken back, so a
client that keeps knocking past the limit is still let in at the limit's
pace, and an overloaded key still serves its limit rather than nothing.
"""

import math
import time
from dataclasses import dataclass

from django.db import connection
from django.db.models import F
from django.utils.crypto import salted_hmac

from transcoder.models import RateWindow

WINDOW = 60
# The one clock the limiter reads; tests pin it.
clock = time.time


@dataclass(frozen=True)
class Verdict:
    """One counted request: allowed or not, and what the RateLimit headers say."""

    bucket: str
    minute: int
    limit: int
    remaining: int
    reset: int  # seconds until the counted requests weigh nothing
    retry_after: int | None  # seconds until one more fits; None when allowed

    @property
    def allowed(self):
        return self.retry_after is None

    def headers(self):
        """Return the RateLimit-* headers (IETF draft) and Retry-After on refusal."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def token_bucket(token):
    return f"t{token.pk}"


def key_bucket(key):
    return f"k{key.pk}"


def visitor_bucket(key, address):
    """Return the bucket of one visitor of ``key``; the address is kept hashed."""
    digest = salted_hmac(
        "mediahub.rate-visitor", address or "-", algorithm="sha256"
    ).hexdigest()[:24]
    return f"k{key.pk}v{digest}"


def _bump(bucket, minute):
    table = connection.ops.quote_name(RateWindow._meta.db_table)
    count = connection.ops.quote_name("count")
    with connection.cursor() as cursor:
        # The names are ours, quoted by the backend; only values are parameters.
        sql = (
            f"INSERT INTO {table} (bucket, minute, {count}) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (bucket, minute) "
            f"DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}"
        )
        cursor.execute(sql, [bucket, minute])
        (value,) = cursor.fetchone()
    return value


def _seconds_until_fits(previous, current, elapsed, limit):
    """Seconds until one more request fits, if none is made meanwhile."""
    room = limit - current - 1
    if room >= 0:
        if previous <= room:
            return 0.0
        needed = 1 - room / previous  # the fraction of this minute that must pass
        return max(0.0, needed - elapsed) * WINDOW
    # Not this minute: in the next one, this minute's count is the previous.
    needed = max(0.0, 1 - (limit - 1) / current)
    return (1 - elapsed) * WINDOW + needed * WINDOW


def rate_limit_take(*, bucket, limit, now=None):
    """Count one request in ``bucket`` if it fits under ``limit``; return a Verdict.

    A request that does not fit is not counted.
    """
    now = clock() if now is None else now
    minute = int(now // WINDOW)
    if limit < 1:  # a limit of 0 closes the door
        return Verdict(bucket, minute, 0, 0, WINDOW, WINDOW)
    elapsed = (now - minute * WINDOW) / WINDOW
    current = _bump(bucket, minute)
    if current == 1:
        # The first request of a bucket's minute clears every minute that
        # no longer weighs: visitors who never come back leave no rows.
        RateWindow.objects.filter(minute__lt=minute - 1).delete()
    previous = (
        RateWindow.objects.filter(bucket=bucket, minute=minute - 1)
        .values_list("count", flat=True)
        .first()
        or 0
    )
    used = previous * (1 - elapsed) + current
    if used > limit + 1e-9:  # not refused by a rounding error
        _release(bucket, minute)
        wait = _seconds_until_fits(previous, current - 1, elapsed, limit)
        retry = max(1, math.ceil(wait - 1e-9))
        return Verdict(bucket, minute, limit, 0, retry, retry)
    reset = (1 - elapsed) * WINDOW + (WINDOW if current else 0)
    return Verdict(
        bucket, minute, limit, math.floor(limit - used), math.ceil(reset), None
    )


def _release(bucket, minute):
    RateWindow.objects.filter(bucket=bucket, minute=minute).update(count=F("count") - 1)


def rate_limit_release(verdict):
    """Take back a request counted by ``verdict`` (another limit refused it)."""
    _release(verdict.bucket, verdict.minute)


def rate_limit_tightest(verdicts):
    """Return the verdict the RateLimit headers should show: the refusing one,
    else the one with the fewest requests left."""
    refused = [v for v in verdicts if not v.allowed]
    if refused:
        return max(refused, key=lambda v: v.retry_after)
    return min(verdicts, key=lambda v: (v.remaining, -v.reset))
