"""A paginator whose deep pages cost about what the first one does.

``OFFSET n`` makes the database fetch and throw away n whole rows: on the
admin's last page of 100,000 assets that was most of the request. Here a page
first takes the ids alone, ``ORDER BY … OFFSET n LIMIT 50`` on the ids, which
PostgreSQL answers from the list's index without touching the table (an
index-only scan on ``(created_at, id)`` or ``(rendition_state, created_at,
id)``), and then loads those 50 rows, in order, by primary key. One query
more per page, the same at every size.
"""

from django.core.paginator import Paginator


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
