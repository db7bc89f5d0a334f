"""The one seam through which services queue work: tasks by name, after commit.

Tasks call services, so services must not import tasks. ``transcoder.tasks``
registers each task here when the app is ready; a service asks for one by
name, and it is enqueued once the current transaction commits.
"""

from django.db import transaction

_TASKS = {}


class UnknownTaskError(LookupError):
    """No task of that name was registered (transcoder.tasks was not loaded)."""


def register(task):
    """Make ``task`` (a django.tasks Task) available to services by its name."""
    _TASKS[task.name] = task
    return task


def task(name):
    """Return the registered task called ``name``."""
    try:
        return _TASKS[name]
    except KeyError:
        raise UnknownTaskError(f"No task named {name!r} is registered.") from None


def enqueue_on_commit(name, *args):
    """Queue task ``name`` with ``args`` once the current transaction commits.

    robust: a backend that fails to enqueue must not look like a failed write
    once the transaction has committed (asset_create would then delete its
    original); the rows stay pending and the sweeper or an editor's
    "Regenerate renditions" picks them up.
    """
    found = task(name)
    transaction.on_commit(lambda: found.enqueue(*args), robust=True)


def enqueue_later(name, when, *args):
    """Queue task ``name`` to run at ``when``, after commit, where the backend
    can defer a task (the database worker); return whether it was queued.

    Elsewhere (Lambda's async invocations cannot wait) a scheduled job picks
    the work up once it is due.
    """
    found = task(name)
    if not found.get_backend().supports_defer:
        return False
    later = found.using(run_after=when)
    transaction.on_commit(lambda: later.enqueue(*args), robust=True)
    return True
