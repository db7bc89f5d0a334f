"""Run the web server and one task worker together; Ctrl-C stops both.

``make run`` uses this on the embedded default: ``runserver`` answers the
admin while ``db_worker`` (django-tasks-db) builds renditions in the
background. If either stops, the other is stopped too, so nothing is left
running unseen.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

# How long each process gets to finish its current work after Ctrl-C.
GRACE_SECONDS = 10
WORKER_NICENESS = 10


def worker_command(python=None, manage="manage.py"):
    """Return the worker's command line as ``make run`` starts it."""
    return [python or sys.executable, manage, "db_worker", "--interval", "0.5"]


class Command(BaseCommand):
    help = "Serve the admin and run one background worker; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument(
            "addrport", nargs="?", default="127.0.0.1:8000", help="host:port to serve"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Serve only (for a worker run elsewhere).",
        )

    def handle(self, *args, addrport, no_worker=False, **options):
        commands = [([sys.executable, sys.argv[0], "runserver", addrport], None)]
        if not no_worker:
            # The worker yields the CPU to the web server: pages and uploads stay
            # quick while renditions are built.
            commands.append((worker_command(manage=sys.argv[0]), _lower_priority))
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        previous = {
            sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        # Our own interpreter and manage.py, with fixed arguments.
        procs = [
            subprocess.Popen(command, preexec_fn=setup)  # noqa: S603, PLW1509
            for command, setup in commands
        ]
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.2)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            code = _stop_all(procs)
        if not stopping and code:
            self.stderr.write("A process stopped; stopped the others too.")
            raise SystemExit(code)


def _lower_priority():
    os.nice(WORKER_NICENESS)


def _stop_all(procs):
    """Ask each process to stop, kill what still runs, and return an exit code."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    deadline = time.monotonic() + GRACE_SECONDS
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return max((abs(p.returncode or 0) for p in procs), default=0)
