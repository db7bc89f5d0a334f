"""One warm Lambda execution environment: Zappa's own handler in a process.

``Container`` is the harness's side; ``main`` is the process. The harness
starts this module as a process (``python -m
bench.lambda_harness.container``) with the stage's environment, and sends it
one event per line on stdin; it answers one line per event on its protocol
pipe. The first event pays the cold start (Zappa's handler imports the
generated ``zappa_settings`` and sets Django up); later ones find the app
warm, as in a reused Lambda environment. A SIGKILL ends the environment, as a
crash or a time-out does on Lambda.
"""

import json
import os
import subprocess
import sys
import threading
import time
import traceback
from queue import SimpleQueue

from bench.lambda_harness.backing import ROOT


class Container:
    """One execution environment: a process running ``container.py``."""

    def __init__(self, harness, number):
        self.harness = harness
        self.number = number
        self.process = None
        self.busy = False
        self.inbox = SimpleQueue()
        self.cold_starts = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _spawn(self):
        env = self.harness.container_env(self.number)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.lambda_harness.container"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.harness.log,
            cwd=ROOT,
            env=env,
            text=True,
            bufsize=1,
        )
        self.cold_starts += 1

    def _serve(self):
        while True:
            job = self.inbox.get()
            if job is None:
                return
            inv, kill_after = job
            record = self._run(inv, kill_after)
            self.harness.finished(self, inv, record)

    def _run(self, inv, kill_after):
        if self.process is None or self.process.poll() is not None:
            self._spawn()
        process = self.process
        cold = self.cold_starts
        record = {
            "request_id": inv.request_id,
            "kind": inv.kind,
            "attempt": inv.attempts,
            "container": self.number,
            "cold_start": cold,
            "killed": False,
            # Harness time: a FakeClock stands still while anything runs.
            "dispatched_at": self.harness.clock.now(),
        }
        try:
            message = {"id": inv.request_id, "event": inv.payload}
            process.stdin.write(json.dumps(message) + "\n")
            process.stdin.flush()
            running = process.stdout.readline()
        except (BrokenPipeError, OSError):
            running = ""
        timer = None
        if running and kill_after is not None:
            timer = threading.Timer(kill_after, self._kill, [process, record])
            timer.start()
        answer = process.stdout.readline() if running else ""
        if timer is not None:
            timer.cancel()
        if record["killed"] or not answer:
            process.wait()
            self.process = None
        if not answer:
            # What Lambda reports when the runtime dies mid-invocation.
            record["error"] = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {inv.request_id} Error: Runtime exited "
                f"with error: signal: killed",
            }
            return record
        answer = json.loads(answer)
        record.update(
            started=answer["started"],
            finished=answer["finished"],
            pid=answer["pid"],
            error=answer.get("error"),
            result=answer.get("result"),
        )
        return record

    def _kill(self, process, record):
        if process.poll() is None:
            record["killed"] = True
            process.kill()

    def stop(self):
        self.inbox.put(None)
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def main():
    # The protocol gets its own copy of stdout; whatever the app or Zappa
    # prints ("Instancing..", results) goes to stderr with the logs.
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from zappa import handler

    for line in sys.stdin:
        message = json.loads(line)
        started = time.time()
        answer = {"id": message["id"], "pid": os.getpid(), "started": started}
        protocol.write(json.dumps({"running": message["id"]}) + "\n")
        try:
            result = handler.lambda_handler(message["event"], None)
            answer["result"] = _plain(result)
        except Exception as e:
            # Lambda logs the error, and records this payload for it.
            traceback.print_exc()
            answer["error"] = {
                "errorMessage": str(e),
                "errorType": type(e).__name__,
                "stackTrace": traceback.format_tb(e.__traceback__)[-5:],
            }
        answer["finished"] = time.time()
        protocol.write(json.dumps(answer) + "\n")


def _plain(value):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)


if __name__ == "__main__":
    main()
