"""`manage.py serve` (what `make run` runs): web server and worker, stopped together."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid):
    out = subprocess.run(
        ["ps", "-o", "pid=,args=", "--ppid", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def _descendants(pid):
    found = []
    for line in _children(pid):
        child = int(line.split()[0])
        found += [child, *_descendants(child)]
    return found


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _answers(port, proc, deadline):
    """Wait until the admin answers on ``port``; False if ``proc`` stopped first."""
    while proc.poll() is None:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/admin/login/", timeout=2
            ) as response:
                assert response.status == 200
                return True
        except OSError:
            assert time.monotonic() < deadline, "the web server never answered"
            time.sleep(0.3)
    return False


def _serve(command, env, log):
    """Start ``command`` + a free port; pick another if the port was taken meanwhile.

    A free port found here can be bound by someone else before runserver
    binds it; runserver then exits saying so, and serve stops with it.
    """
    for _ in range(5):
        port = _free_port()
        with log.open("wb") as stderr:
            proc = subprocess.Popen(
                [*command, f"127.0.0.1:{port}"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        if _answers(port, proc, time.monotonic() + 60):
            return proc
        if "That port is already in use" not in log.read_text():
            raise AssertionError(f"serve stopped:\n{log.read_text()}")
    raise AssertionError("no free port after 5 tries")


@pytest.mark.parametrize(
    "stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"]
)
def test_serve_starts_web_and_worker_and_ctrl_c_stops_both(tmp_path, stop):
    """Both processes run; Ctrl-C (SIGINT to the group) or SIGTERM stops both."""
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "mediahub.settings",
        "MEDIAHUB_VAR_DIR": str(tmp_path),
        "DJANGO_DEBUG": "1",  # as `make run` runs it, with the autoreloaders
        "MEDIAHUB_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--noinput"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    proc = _serve([*manage, "serve"], env, tmp_path / "serve.log")
    try:
        children = _children(proc.pid)
        assert any("runserver" in c for c in children), children
        assert any("db_worker" in c for c in children), children
        pids = _descendants(proc.pid)
        assert len(pids) >= 2

        if stop == signal.SIGINT:
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        else:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in pids if _alive(pid)]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
