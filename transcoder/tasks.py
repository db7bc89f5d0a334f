"""Task entry points: ids in, one service call, storage faults retried."""

import logging
import time

from django.db import InterfaceError, OperationalError
from django.tasks import task

from transcoder import services
from transcoder.conf import setting

logger = logging.getLogger(__name__)

# Faults that a later attempt may not meet: S3 errors and time-outs (services
# raise them as RenditionStorageError) and a dropped database connection.
TRANSIENT = (services.RenditionStorageError, OperationalError, InterfaceError)
# The first retry waits this long; each next one twice as long.
BACKOFF_SECONDS = 0.5


@task
def generate_renditions(asset_id, preset_ids=None, force=False):
    """Build the missing renditions of one asset, retrying storage faults.

    A transient fault is retried here with exponential backoff until
    MEDIAHUB_MAX_ATTEMPTS attempts have been made, then raised: the backend
    records it, and on Lambda the async invocation's own retry delivers the
    task again, by which time services skip the rows whose attempts are used
    up. A refused image is not a fault; its rows are failed with the reason.
    """
    attempts = max(1, setting("MAX_ATTEMPTS"))
    for attempt in range(1, attempts + 1):
        try:
            rows = services.renditions_generate(
                # Only the first attempt rebuilds ready rows; retries finish
                # the ones that failed.
                asset_id=asset_id,
                preset_ids=preset_ids,
                force=force and attempt == 1,
            )
        except TRANSIENT as e:
            if attempt == attempts:
                logger.warning(
                    "Renditions of %s failed after %d attempts: %s",
                    asset_id,
                    attempt,
                    e,
                )
                raise
            delay = backoff(attempt)
            logger.info(
                "Renditions of %s: attempt %d failed (%s); retrying in %.1f s",
                asset_id,
                attempt,
                e,
                delay,
            )
            time.sleep(delay)
        else:
            return {
                row.status: sum(r.status == row.status for r in rows) for row in rows
            }
    raise AssertionError("unreachable")  # pragma: no cover


def backoff(attempt):
    """Return the seconds to wait after failed attempt number ``attempt``."""
    return BACKOFF_SECONDS * 2 ** (attempt - 1)
