"""The task runner's path in Lambda payloads sent before the move to aws/.

Zappa writes ``transcoder.task_backends.run_task`` into every async payload,
and Lambda retries a failed one for up to six hours, so this path must still
import while payloads of an earlier deploy can arrive. The backend itself is
``transcoder.aws.task_backends``; nothing new names this module.
"""

from transcoder.aws.task_backends import run_task

__all__ = ["run_task"]
