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
