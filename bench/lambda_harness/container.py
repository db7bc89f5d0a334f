"""One warm Lambda execution environment: Zappa's own handler in a process.

The harness starts this module as a process (``python -m
bench.lambda_harness.container``) with the stage's environment, and sends it
one event per line on stdin; it answers one line per event on its protocol
pipe. The first event pays the cold start (Zappa's handler imports the
generated ``zappa_settings`` and sets Django up); later ones find the app
warm, as in a reused Lambda environment. A SIGKILL ends the environment, as a
crash or a time-out does on Lambda.
"""

import json
import os
import sys
import time
import traceback


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
