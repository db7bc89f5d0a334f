"""A paginator whose deep pages cost about what the first one does.

``OFFSET n`` makes the database fetch and throw away n whole rows: on the
admin's last page of 100,000 assets that was most of the request. Here a page
first takes the ids alone, ``ORDER BY … OFFSET n LIMIT 50`` on the ids, which
PostgreSQL answers from the list's index without touching the table (an
index-only scan on ``(created_at, id)`` or ``(rendition_state, created_at,
id)``), and then loads those 50 rows, in order, by primary key. One query
more per page, the same at every size.
"""

import base64
import binascii
import uuid
from datetime import datetime

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext

from transcoder.conf import setting


class IdsFirstPaginator(Paginator):
    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


class BoundedCountPaginator(IdsFirstPaginator):
    """Count matches only as far as anyone reads them.

    Counting every match of a search in a million assets reads them all. This
    counts at most ``MEDIAHUB_LIST_COUNT_LIMIT`` + 1 rows: exact up to the
    limit; past it the count is the limit and ``count_label`` says "10,000+"
    (pages up to the limit stay reachable: refine the search for more). The
    whole table, unfiltered, on PostgreSQL, is estimated from the planner's
    row count instead ("about 1,000,000"), so every page stays reachable.
    A reader's reach is a filter: their count never comes from the estimate.
    """

    @cached_property
    def count(self):
        limit = setting("LIST_COUNT_LIMIT")
        # Asked whatever the count: one query more or less would make the
        # number of queries depend on the library's size.
        estimate = _estimated_rows(self.object_list)
        counted = self.object_list.order_by().values("pk")[: limit + 1].count()
        self.count_exact = counted <= limit
        if self.count_exact:
            self.count_label = number_format(counted, force_grouping=True)
            return counted
        if estimate is not None and estimate > limit:
            self.count_label = gettext("about %(count)s") % {
                "count": number_format(estimate, force_grouping=True)
            }
            return estimate
        self.count_label = gettext("%(count)s+") % {
            "count": number_format(limit, force_grouping=True)
        }
        return limit


def _estimated_rows(queryset):
    """Return PostgreSQL's estimate of a whole, unfiltered table's rows, or None.

    Unfiltered is as the default manager gives it: that leaves the Trash out,
    which the estimate of the table's rows then counts (an estimate anyway).
    """
    if connection.vendor != "postgresql":
        return None
    if queryset.query.where != queryset.model._default_manager.all().query.where:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return row[0] if row and row[0] > 0 else None


class CursorError(ValueError):
    """A cursor this site did not give out."""


def cursor_for(obj):
    """Return the opaque cursor of a list position: just after ``obj``.

    For lists ordered newest first, by ``(-created_at, -id)``.
    """
    text = f"{obj.created_at.isoformat()}|{obj.pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def after_cursor(queryset, cursor):
    """Narrow a newest-first ``queryset`` to what comes after ``cursor``.

    A keyset condition on ``(created_at, id)``, which the list's index
    answers at any depth, where OFFSET reads every row it skips.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        stamp, pk = text.split("|")
        created = datetime.fromisoformat(stamp)
        pk = uuid.UUID(pk)
    except (ValueError, UnicodeError, binascii.Error):
        raise CursorError("cursor is not one a list gave out.") from None
    if created.tzinfo is None:
        raise CursorError("cursor is not one a list gave out.")
    # The first condition is implied by the second; it lets the planner walk
    # the (created_at, id) index from the cursor instead of filtering rows.
    return queryset.filter(created_at__lte=created).filter(
        Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk)
    )
