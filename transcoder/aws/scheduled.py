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


def webhooks(event=None, context=None):
    """Send the webhook deliveries that are due (retries, and any whose task
    was lost), after dispatching what the change log holds.

    Lambda's async invocations cannot wait, so a retry's backoff ends here,
    within a minute of its time; the attempt itself is the task's code.
    """
    from transcoder import services

    sent = services.webhooks_due()
    logger.info("Scheduled webhooks: %d deliveries attempted", len(sent))
    return len(sent)
