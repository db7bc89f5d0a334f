"""What the harness's containers talk to: PostgreSQL through PgBouncer in
transaction mode (standing in for RDS Proxy), and moto's server for S3 and SQS.

All on 127.0.0.1. PostgreSQL itself is the local server (trust auth for
``postgres``); each harness makes and drops its own database.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def pgbouncer_path():
    """Return PgBouncer's executable, or None when it is not installed."""
    # Debian puts it in /usr/sbin, which a user's PATH may lack.
    places = ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer")
    found = (p for p in places if os.access(p, os.X_OK))
    return shutil.which("pgbouncer") or next(found, None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def connect(dbname="postgres", port=POSTGRES["port"]):
    """Return an autocommit psycopg connection straight to the server (or a port)."""
    import psycopg

    return psycopg.connect(
        host=POSTGRES["host"],
        port=port,
        user=POSTGRES["user"],
        dbname=dbname,
        autocommit=True,
        prepare_threshold=None,
    )


def create_database(name):
    with connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name):
    with connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_connections(name):
    """Return the server's backends on database ``name`` (what PgBouncer holds)."""
    with connect() as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]
        ).fetchone()[0]


def terminate_connections(name):
    """Kill every server backend on ``name``: a database restart, as clients see it."""
    with connect() as conn:
        return conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchone()[0]


class PgBouncer:
    """A PgBouncer of our own: generated config in ``folder``, a free port."""

    def __init__(self, folder, *, pool_size=10, max_clients=200):
        self.folder = Path(folder)
        self.pool_size = pool_size
        self.max_clients = max_clients
        self.port = free_port()
        self.process = None

    def config(self):
        return "\n".join(
            [
                "[databases]",
                f"* = host={POSTGRES['host']} port={POSTGRES['port']}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {self.port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {self.folder / 'users.txt'}",
                "pool_mode = transaction",
                f"default_pool_size = {self.pool_size}",
                f"max_client_conn = {self.max_clients}",
                "max_db_connections = 0",
                "server_reset_query =",
                # psycopg sends none of these, but a driver's extras must not
                # turn clients away.
                "ignore_startup_parameters = extra_float_digits,options",
                f"admin_users = {POSTGRES['user']}",
                "",
            ]
        )

    def start(self):
        executable = pgbouncer_path()
        if executable is None:
            raise RuntimeError("pgbouncer is not installed (make install adds it)")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "users.txt").write_text(f'"{POSTGRES["user"]}" ""\n')
        ini = self.folder / "pgbouncer.ini"
        ini.write_text(self.config())
        command = [executable, "-q", str(ini)]
        if os.geteuid() == 0:
            # PgBouncer will not run as root.
            command[1:1] = ["-u", POSTGRES["user"]]
            for path in (self.folder, ini, self.folder / "users.txt"):
                shutil.chown(path, user=POSTGRES["user"])
        self.log = open(self.folder / "pgbouncer.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(command, stdout=self.log, stderr=self.log)
        wait_for_port(self.port)
        return self

    def restart(self):
        """Stop PgBouncer and start it again on the same port."""
        self.stop()
        self.process = subprocess.Popen(
            self.process.args, stdout=self.log, stderr=self.log
        )
        wait_for_port(self.port)

    def url(self, dbname):
        return f"postgres://{POSTGRES['user']}@127.0.0.1:{self.port}/{dbname}"

    def stop(self):
        stop_process(self.process, 10)


class MotoServer:
    """moto's server in a process of its own (S3 and SQS over HTTP)."""

    def __init__(self, log):
        self.port = free_port()
        self.log = log
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1"]
            + ["-p", str(self.port)],
            stdout=self.log,
            stderr=self.log,
        )
        wait_for_port(self.port, 30)
        return self

    def stop(self):
        # moto holding a burst's objects in memory can take a while to exit.
        stop_process(self.process, 30)


def stop_process(process, grace):
    """SIGTERM ``process``, and SIGKILL it if it is still there after ``grace`` s."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def manage(*args, database_url, secret_key, check=True, **environ):
    """Run ``manage.py`` with the harness's database; return the finished process."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "MEDIAHUB_", "DATABASE_URL"))
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_SETTINGS_MODULE="mediahub.settings",
        DJANGO_DISABLE_SERVER_SIDE_CURSORS="1",
        **environ,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=check,
        capture_output=True,
        text=True,
    )
