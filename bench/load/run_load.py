"""Load and fault run: gunicorn + PostgreSQL + moto's S3, editors and embed readers.

    python -m bench.load.run_load [--editors 4] [--readers 8] [--db wt_load]

Three phases, each with the same traffic: ``clean``; ``s3-faults`` (a fault
proxy in front of moto answers 503 SlowDown, delays or drops a share of
requests during the phase); ``db-restart`` (every PostgreSQL connection of the
app is terminated once, mid-phase, with pg_terminate_backend). Editors log in
and upload real photos through the direct-upload path (presign, POST to S3,
finalize); readers follow /e/ embed links and the signed URL they redirect to.
Renditions are built by the task backend in the finalize request (the
immediate path; no Lambda). Everything listens on 127.0.0.1; every loop and
wait is bounded. Prints a JSON report.
"""

import argparse
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.load import fault_proxy
from bench.load.audit import audit, not_ready_by_phase, psql

ROOT = Path(__file__).resolve().parents[2]
PY = str(ROOT / ".venv" / "bin" / "python")
PHOTOS = Path(
    os.environ.get("MEDIAHUB_BENCH_PHOTOS", ROOT.parent / "shared" / "bench" / "photos")
)
BUCKET = "mediahub-load"
PASSWORD = secrets.token_urlsafe(16)
PHASE_LIMIT = 600  # seconds; a phase that runs longer is reported as such


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2, allow_redirects=False)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {limit}s")


class Recorder:
    def __init__(self):
        self.times = defaultdict(list)
        self.errors = defaultdict(int)
        self.lock = threading.Lock()

    def timed(self, name, call, *args, **kwargs):
        """Call ``call(*args, **kwargs)``, an HTTP request, and record it."""
        start = time.perf_counter()
        try:
            response = call(*args, **kwargs)
        except requests.RequestException:
            with self.lock:
                self.errors[name] += 1
            raise
        with self.lock:
            self.times[name].append((time.perf_counter() - start) * 1000)
            if response.status_code >= 400:
                self.errors[name] += 1
        return response

    def report(self):
        out = {}
        for name in sorted(set(self.times) | set(self.errors)):
            values = sorted(self.times[name])
            out[name] = {
                "n": len(values),
                "errors": self.errors[name],
                "p50_ms": round(statistics.median(values)) if values else None,
                "p95_ms": round(values[max(0, int(len(values) * 0.95) - 1)])
                if values
                else None,
            }
        return out


def login(base, username, rec):
    s = requests.Session()
    s.get(f"{base}/admin/login/", timeout=30)
    rec.timed(
        "login",
        s.post,
        f"{base}/admin/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": s.cookies["csrftoken"],
            "next": "/admin/",
        },
        headers={"Referer": f"{base}/admin/login/"},
        timeout=60,
    )
    return s


def upload(base, s, photo, rec, attempts=4):
    """Upload one photo through presign, POST and finalize; return the asset id."""
    data = photo.read_bytes()
    ctype = "image/png" if photo.suffix == ".png" else "image/jpeg"
    headers = {"X-CSRFToken": s.cookies["csrftoken"], "Referer": f"{base}/admin/"}
    admin = f"{base}/admin/transcoder/asset/upload"
    for _ in range(attempts):
        try:
            r = rec.timed(
                "presign",
                s.post,
                f"{admin}/presign/",
                headers=headers,
                timeout=120,
                data={
                    "content_type": ctype,
                    "filename": photo.name,
                    "size": len(data),
                },
            )
            if r.status_code != 200:
                continue
            post = r.json()
            r = rec.timed(
                "s3_post",
                requests.post,
                post["url"],
                data=post["fields"],
                timeout=120,
                files={"file": (photo.name, data, ctype)},
            )
            if r.status_code != 201:
                continue
            r = rec.timed(
                "finalize",
                s.post,
                f"{admin}/finalize/",
                headers=headers,
                timeout=300,
                # The phases send the same photos again: each is a new asset.
                data={
                    "key": post["key"],
                    "filename": photo.name,
                    "allow_duplicate": "1",
                },
            )
            if r.status_code == 201:
                return r.json()["asset"]["id"]
        except requests.RequestException:
            time.sleep(0.5)
    return None


def read_embeds(base, assets, slugs, rec, done, rng, limit=200):
    """Follow embed links of uploaded assets until the editors are done."""
    for _ in range(limit):
        if done.is_set() and assets:
            return
        if not assets:
            time.sleep(0.5)
            continue
        url = f"{base}/e/{rng.choice(assets)}/{rng.choice(slugs)}/"
        try:
            r = rec.timed("embed", requests.get, url, allow_redirects=False, timeout=30)
            if r.status_code in (301, 302):
                rec.timed(
                    "rendition_get",
                    requests.get,
                    r.headers["Location"],
                    timeout=30,
                )
        except requests.RequestException:
            pass
        time.sleep(0.1)


def run_phase(name, base, editors, readers, slugs, state, db):
    rec = Recorder()
    photos = sorted(PHOTOS.iterdir())
    accepted, assets = [], []
    lock = threading.Lock()
    done = threading.Event()
    sessions = [login(base, f"editor{i}", rec) for i in range(editors)]

    def editor(i):
        for photo in photos[i::editors]:
            asset = upload(base, sessions[i], photo, rec)
            if asset:
                with lock:
                    accepted.append(asset)
                    assets.append(asset)

    def fault():
        if name == "s3-faults":
            state.on = True
            time.sleep(20)
            state.on = False
        elif name == "db-restart":
            time.sleep(8)
            killed = psql(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity "
                f"where datname = '{db}' and pid <> pg_backend_pid()"
            )
            rec.times["db_connections_terminated"].append(float(killed))

    start = time.monotonic()
    with ThreadPoolExecutor(editors + readers + 1) as pool:
        writers = [pool.submit(editor, i) for i in range(editors)]
        jobs = [
            pool.submit(read_embeds, base, assets, slugs, rec, done, random.Random(i))
            for i in range(readers)
        ]
        jobs.append(pool.submit(fault))
        for job in writers:
            job.result(timeout=PHASE_LIMIT)
        done.set()
        for job in jobs:
            job.result(timeout=PHASE_LIMIT)
    state.on = False
    return {
        "seconds": round(time.monotonic() - start, 1),
        "uploads_tried": len(photos),
        "uploads_accepted": len(accepted),
        "endpoints": rec.report(),
        "accepted_ids": accepted,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--editors", type=int, default=4)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default="mediahub_load")
    args = parser.parse_args()
    import boto3

    procs = []
    moto_port, app_port = free_port(), free_port()
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "load",
        "AWS_SECRET_ACCESS_KEY": "load",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
    try:
        procs.append(
            subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/moto_server"),
                    "-H",
                    "127.0.0.1",
                    "-p",
                    str(moto_port),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_for(f"http://127.0.0.1:{moto_port}/")
        state = fault_proxy.FaultState()
        _, proxy_port = fault_proxy.start(moto_port, state)
        endpoint = f"http://127.0.0.1:{proxy_port}"
        s3 = boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{moto_port}", region_name="eu-west-1"
        )
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        psql(f'drop database if exists "{args.db}" with (force)')
        psql(f'create database "{args.db}"')
        app_env = {
            **env,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.db}",
            "MEDIAHUB_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_REGION_NAME": "eu-west-1",
            "AWS_S3_ENDPOINT_URL": endpoint,
            "DJANGO_DEBUG": "0",
            "MEDIAHUB_HTTPS": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "MEDIAHUB_VAR_DIR": str(ROOT / "var" / "load"),
            # Renditions are built inside finalize, so the audit that follows
            # each phase sees them all (no worker to wait for).
            "MEDIAHUB_TASK_BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        }

        def manage(*a):
            return subprocess.run(
                [PY, "manage.py", *a],
                cwd=ROOT,
                env=app_env,
                check=True,
                timeout=300,
                capture_output=True,
            )

        manage("migrate", "--noinput")
        manage("collectstatic", "--noinput", "--verbosity", "0")
        manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model as g\n"
            f"for i in range({args.editors}):\n"
            f"    g().objects.create_superuser(f'editor{{i}}', '', {PASSWORD!r})",
        )
        procs.append(
            subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/gunicorn"),
                    "mediahub.wsgi",
                    "-b",
                    f"127.0.0.1:{app_port}",
                    "-w",
                    str(args.workers),
                    "--threads",
                    "4",
                    "--timeout",
                    "300",
                ],
                cwd=ROOT,
                env=app_env,
                stdout=subprocess.DEVNULL,
                stderr=open(ROOT / "var" / "load-gunicorn.log", "w"),
            )
        )
        base = f"http://127.0.0.1:{app_port}"
        wait_for(f"{base}/admin/login/")
        slugs = psql("select slug from transcoder_preset where active", args.db).split(
            "\n"
        )
        report = {
            "editors": args.editors,
            "readers": args.readers,
            "workers": args.workers,
            "photos": len(list(PHOTOS.iterdir())),
            "phases": {},
        }
        accepted, by_phase = [], {}
        for phase in ("clean", "s3-faults", "db-restart"):
            result = run_phase(
                phase, base, args.editors, args.readers, slugs, state, args.db
            )
            by_phase[phase] = result.pop("accepted_ids")
            accepted += by_phase[phase]
            report["phases"][phase] = result
        report["fault_proxy"] = state.counts
        report["audit"] = audit(args.db, s3, BUCKET, accepted)
        report["audit"]["assets_not_ready_by_phase"] = not_ready_by_phase(
            args.db, by_phase
        )
        # What an editor's "Regenerate renditions" does: run the task again for
        # every asset that has a row not ready, then audit again.
        manage(
            "shell",
            "-c",
            "from transcoder.models import Rendition as R\n"
            "from transcoder.tasks import generate_renditions as g\n"
            "ids = R.objects.exclude(status='ready')"
            ".values_list('asset_id', flat=True)\n"
            "for a in set(ids):\n"
            "    g.enqueue(str(a))",
        )
        report["audit_after_rerun"] = audit(args.db, s3, BUCKET, accepted)
        print(json.dumps(report, indent=2))
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
