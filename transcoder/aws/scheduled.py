"""Entry points for Zappa's scheduled events (``events`` with an ``expression``).

Zappa's handler routes a scheduled event to the function named after the last
``-`` of the rule name, calling it with the event and the Lambda context.
"""

import logging

from django.core.management import call_command

logger = logging.getLogger(__name__)


def purge_orphans(event=None, context=None):
    """Run ``manage.py purge_orphans``: the daily clean-up of what nothing needs."""
    logger.info("Scheduled purge_orphans starting")
    call_command("purge_orphans")


def redrive(event=None, context=None):
    """Replay the async invocations Lambda gave up on (``manage.py redrive``).

    Hourly. Nothing is raised for a replay that fails again (it stays queued):
    an error here would make Lambda retry the whole run.
    """
    from transcoder.aws.redrive import failures_redrive
    from transcoder.conf import setting

    if not setting("FAILURE_QUEUE_URL"):
        logger.error("Scheduled redrive: MEDIAHUB_FAILURE_QUEUE_URL is not set")
        return {}
    counts = {}
    for line in failures_redrive():
        counts[line.outcome] = counts.get(line.outcome, 0) + 1
    logger.info("Scheduled redrive: %s", counts or "nothing waiting")
    return counts
