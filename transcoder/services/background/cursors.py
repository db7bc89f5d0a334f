"""Stored cursors: where a bounded scheduled job stopped, so the next run goes on."""

from transcoder.models import ScheduledCursor


def cursor_get(*, name):
    """Return the marker stored under ``name``; "" means from the start."""
    found = ScheduledCursor.objects.filter(name=name).values_list("marker", flat=True)
    return found.first() or ""


def cursor_set(*, name, marker):
    """Store ``marker`` under ``name`` (last writer wins: every job is idempotent)."""
    ScheduledCursor.objects.update_or_create(name=name, defaults={"marker": marker})
