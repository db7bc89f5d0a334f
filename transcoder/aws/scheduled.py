"""Entry points for Zappa's scheduled events (``events`` with an ``expression``).

Zappa's handler routes a scheduled event to the function named after the last
``-`` of the rule name, calling it with the event and the Lambda context. Each
does one bounded invocation (well inside the function's time-out) and stores
where it stopped; the next scheduled run goes on from there.
"""

import logging

from django.core.management import call_command

logger = logging.getLogger(__name__)


def purge_orphans(event=None, context=None):
    """Run one bounded ``manage.py purge_orphans --once``."""
    logger.info("Scheduled purge_orphans starting")
    call_command("purge_orphans", "--once")


def sweep(event=None, context=None):
    """Run one bounded ``manage.py sweep --once``: stale pending renditions
    queued again, unfinished uploads finalized."""
    logger.info("Scheduled sweep starting")
    call_command("sweep", "--once")
