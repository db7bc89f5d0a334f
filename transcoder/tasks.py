"""Task entry points: ids in, one service call, storage faults retried."""

import logging
import time

from django.db import InterfaceError, OperationalError, connection
from django.tasks import task

from transcoder import queue, services
from transcoder.aws.task_backends import on_lambda
from transcoder.conf import setting

logger = logging.getLogger(__name__)

# Faults that a later attempt may not meet: S3 errors and time-outs (services
# raise them as RenditionStorageError) and a dropped database connection.
TRANSIENT = (services.RenditionStorageError, OperationalError, InterfaceError)
# The first retry waits this long; each next one twice as long.
BACKOFF_SECONDS = 0.5
# On Lambda one delivery makes this many attempts and leaves the rest of
# MEDIAHUB_MAX_ATTEMPTS to Lambda's own async retries, which come a minute or
# two later and so ride out outages that seconds of backoff cannot.
TRIES_PER_LAMBDA_DELIVERY = 2


@queue.register
@task
def generate_renditions(asset_id, preset_ids=None, force=False):
    """Build the missing renditions of one asset, retrying storage faults.

    A transient fault is retried here with exponential backoff, then raised:
    the backend records it, and on Lambda the async invocation's own retry
    delivers the task again. Rows count their attempts across deliveries and
    are not built again once MEDIAHUB_MAX_ATTEMPTS is used up (an editor's
    regenerate still can). A refused image is not a fault; its rows are
    failed with the reason.
    """
    return _generate(asset_id, preset_ids, force)


def _generate(asset_id, preset_ids, force):
    attempts = tries_per_run()
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
            if isinstance(e, OperationalError | InterfaceError):
                _reconnect()
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


@queue.register
@task
def job_batch(job_id, cursor):
    """Do the next bounded batch of a job (a rebuild or bulk action); queue the rest.

    In a rebuild, one asset that keeps failing is recorded on its rows and
    does not stop the batch; a repeated delivery of the same batch does
    nothing (see ``services.job_step``).
    """

    def build(asset_id, preset_ids, force):
        try:
            _generate(asset_id, preset_ids, force)
        except TRANSIENT:
            logger.warning("Job %s: asset %s left failed", job_id, asset_id)

    return services.job_step(job_id=job_id, cursor=cursor, build=build)


# The names the two job kinds were queued under before they became one model;
# a payload already sent under either runs the same job (same id and cursor).
@queue.register
@task
def rebuild_batch(job_id, cursor):
    """Run a job batch queued under its old name (see ``job_batch``)."""
    return job_batch.call(job_id, cursor)


@queue.register
@task
def bulk_batch(job_id, cursor):
    """Run a job batch queued under its old name (see ``job_batch``)."""
    return job_batch.call(job_id, cursor)


@queue.register
@task
def webhooks_dispatch():
    """Turn the change log's next rows into webhook deliveries."""
    return services.webhooks_dispatch()


@queue.register
@task
def webhook_deliver(delivery_id):
    """Make one attempt at a webhook delivery, if it is due."""
    delivery = services.webhook_deliver(delivery_id=delivery_id)
    return delivery.status if delivery is not None else None


def _reconnect():
    """Drop a connection the database closed, so the next attempt opens a new one.

    Django reopens a connection only between requests; a worker or an S3 event
    retrying in a loop would otherwise fail every attempt on the dead one.
    Inside a transaction the caller owns the connection, so it is left alone.
    """
    if not connection.in_atomic_block:
        connection.close()


def tries_per_run():
    """Return how many attempts one run of the task makes."""
    total = max(1, setting("MAX_ATTEMPTS"))
    return min(total, TRIES_PER_LAMBDA_DELIVERY) if on_lambda() else total


def backoff(attempt):
    """Return the seconds to wait after failed attempt number ``attempt``."""
    return BACKOFF_SECONDS * 2 ** (attempt - 1)
