"""A django.tasks backend for Lambda: each task runs in its own async invocation.

On Lambda (``AWS_LAMBDA_FUNCTION_NAME`` is set) ``enqueue`` invokes the running
function itself with ``InvocationType=Event`` through Zappa's async machinery.
Zappa's handler routes that payload to ``run_task`` below, which runs the task.
Anywhere else the task runs at once in this process, exactly like Django's
ImmediateBackend.

Tasks take ids and call idempotent services, so Lambda's at-least-once delivery
and its retries of a failed async invocation can repeat a task but never
duplicate what it made.
"""

import logging
import os
from traceback import format_exception

from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections
from django.tasks import task_backends
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import (
    Task,
    TaskContext,
    TaskError,
    TaskResult,
    TaskResultStatus,
)
from django.tasks.signals import task_enqueued, task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.json import normalize_json
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def on_lambda():
    """Tell whether this process is a Lambda invocation environment."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


class LambdaBackend(BaseTaskBackend):
    """Hand tasks to Zappa's async invocation on Lambda; run them at once elsewhere."""

    supports_async_task = True

    def __init__(self, alias, params):
        super().__init__(alias, params)
        if self.options:
            raise ImproperlyConfigured(
                f"LambdaBackend takes no OPTIONS, not {sorted(self.options)!r}."
            )
        self.worker_id = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME") or (
            get_random_string(32)
        )

    def enqueue(self, task, args, kwargs):
        """Queue ``task`` and return its TaskResult."""
        self.validate_task(task)
        result = _new_result(
            task=task,
            result_id=get_random_string(32),
            args=args,
            kwargs=kwargs,
            backend=self.alias,
        )
        if on_lambda():
            self._send(result)
        else:
            _set(result, enqueued_at=timezone.now())
            task_enqueued.send(type(self), task_result=result)
            self.run(result)
        return result

    def _send(self, result):
        """Invoke this function asynchronously with Zappa's task payload.

        A failed invoke is recorded on the result rather than raised: services
        enqueue from on_commit callbacks, where an exception would reach a
        caller whose transaction has already committed.
        """
        # Imported here: zappa.asynchronous makes its boto3 clients at import
        # time, and nothing off Lambda should make them.
        from zappa import asynchronous

        try:
            response = asynchronous.run(
                run_task,
                kwargs={
                    "task": result.task.module_path,
                    "args": result.args,
                    "kwargs": result.kwargs,
                    "result_id": result.id,
                    "backend": self.alias,
                },
            )
        except Exception as e:
            logger.exception("Could not send task %s (%s)", result.id, result.task)
            _fail(result, e)
            return
        if not response.sent:
            logger.error("Lambda did not accept task %s: %r", result.id, response)
            _fail(result, RuntimeError("Lambda did not accept the invocation."))
            return
        _set(result, enqueued_at=timezone.now())
        task_enqueued.send(type(self), task_result=result)
        logger.info("Sent task %s (%s) to Lambda", result.id, result.task.module_path)

    def run(self, result):
        """Run the task of ``result`` here, record the outcome, and return the error.

        Mirrors ImmediateBackend: the result ends SUCCESSFUL or FAILED with the
        traceback, and the signals fire in the same order.
        """
        task = result.task
        started = timezone.now()
        _set(
            result,
            status=TaskResultStatus.RUNNING,
            started_at=started,
            last_attempted_at=started,
        )
        result.worker_ids.append(self.worker_id)
        task_started.send(sender=type(self), task_result=result)
        try:
            if task.takes_context:
                value = task.call(
                    TaskContext(task_result=result), *result.args, **result.kwargs
                )
            else:
                value = task.call(*result.args, **result.kwargs)
            _set(result, _return_value=normalize_json(value))
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            _fail(result, e)
            task_finished.send(type(self), task_result=result)
            return e
        _set(result, status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())
        task_finished.send(type(self), task_result=result)
        return None


def run_task(task, args, kwargs, result_id, backend="default"):
    """Run a task sent by LambdaBackend; Zappa's handler calls this on Lambda.

    ``task`` is the task's dotted path. A failure is raised after it is
    recorded, so Lambda's async retry delivers the task again; the services
    make a repeat harmless.
    """
    task_path = task
    task = import_string(task_path)
    if not isinstance(task, Task):
        raise ImproperlyConfigured(f"{task_path!r} is not a django.tasks Task.")
    result = _new_result(
        task=task.using(backend=backend),
        result_id=result_id,
        args=args,
        kwargs=kwargs,
        backend=backend,
    )
    # No request wraps this invocation, so nothing else closes a connection that
    # the database dropped while the container was frozen.
    close_old_connections()
    try:
        error = task_backends[backend].run(result)
    finally:
        close_old_connections()
    if error is not None:
        logger.error("Task %s (%s) failed; Lambda will retry", result_id, task_path)
        raise error
    logger.info("Task %s (%s) finished", result_id, task_path)
    return result.return_value


def _new_result(*, task, result_id, args, kwargs, backend):
    """Return a TaskResult that is ready to run and has not been tried yet."""
    return TaskResult(
        task=task,
        id=result_id,
        status=TaskResultStatus.READY,
        enqueued_at=None,
        started_at=None,
        last_attempted_at=None,
        finished_at=None,
        args=args,
        kwargs=kwargs,
        backend=backend,
        errors=[],
        worker_ids=[],
    )


def _set(result, **fields):
    # TaskResult is a frozen dataclass; backends update it in place, as Django's do.
    for name, value in fields.items():
        object.__setattr__(result, name, value)


def _fail(result, error):
    exc_type = type(error)
    result.errors.append(
        TaskError(
            exception_class_path=f"{exc_type.__module__}.{exc_type.__qualname__}",
            traceback="".join(format_exception(error)),
        )
    )
    _set(result, status=TaskResultStatus.FAILED, finished_at=timezone.now())
