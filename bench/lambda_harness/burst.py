"""`make load-lambda`: a burst of uploads through the Lambda harness, with faults.

N distinct photos (``photos.py``) land under ``uploads/`` at once, under
upload keys minted for an admin of the root collection, exactly as the upload
page mints them, and their S3 events go through the harness at reserved
concurrency 4. Meanwhile: a share of handler runs is SIGKILLed mid-run, a
share of deliveries is duplicated, a share of S3 requests fails (the fault
proxy of bench/load), every database connection is terminated once, and
``purge_orphans`` runs once. Then ``redrive`` and ``sweep`` run if this
version of the app has them, and the figures are read back. 127.0.0.1 only;
bounded by ``--uploads`` and ``--timeout``. See docs/hardening.md.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from bench.lambda_harness import backing, figures
from bench.lambda_harness.delivery import Policy
from bench.lambda_harness.harness import REGION, Harness
from bench.lambda_harness.photos import variants
from bench.load import fault_proxy
from bench.workload import PHOTOS_DIR

MINT = """
import json
from django.contrib.auth import get_user_model
from transcoder.models import root_collection
from transcoder.storage.keys import upload_key_mint
user, _ = get_user_model().objects.get_or_create(
    username="burst-admin", defaults={"is_staff": True, "is_superuser": True}
)
root = root_collection()
print(json.dumps([upload_key_mint(user=user, collection=root) for _ in range(%d)]))
"""
COMMANDS = (
    "import json; from django.core.management import get_commands; "
    "print(json.dumps(sorted(get_commands())))"
)


def options(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--uploads", type=int, default=2000, help="photos dropped at once")
    add("--concurrency", type=int, default=4, help="reserved concurrency")
    add("--kill-rate", type=float, default=0.05, help="handler runs SIGKILLed")
    add("--duplicate-rate", type=float, default=0.02, help="deliveries sent twice")
    add("--s3-fault-rate", type=float, default=0.01, help="S3 requests failing")
    add("--photos", default=str(PHOTOS_DIR), help="folder of real photos")
    add("--max-side", type=int, default=1024, help="longest side of the variants")
    add("--seed", type=int, default=19)
    add("--pool-size", type=int, default=10, help="PgBouncer's default_pool_size")
    add(
        "--time-scale",
        type=float,
        default=0.01,
        help="retry delays and throttle back-off times this (1: AWS's minutes)",
    )
    add("--max-age", type=float, default=6 * 3600, help="maximum event age, seconds")
    add(
        "--timeout",
        type=float,
        default=3600,
        help="longest run from the events on, seconds (SIGTERM or SIGINT also "
        "stop it early, with the figures of what was done)",
    )
    add("--db", default="mediahub_lambda_burst", help="database, made anew")
    add("--out", default="var/lambda-burst", help="where logs and figures go")
    return parser.parse_args(argv)


class Monitor(threading.Thread):
    """Poll the server's connections; restart the database and purge mid-run."""

    def __init__(self, harness, pgbouncer, database, total):
        super().__init__(daemon=True)
        self.harness, self.pgbouncer = harness, pgbouncer
        self.database, self.total = database, total
        self.peak = 0
        self.events = []
        self.loads = []
        self.stopping = threading.Event()

    def done(self):
        with self.harness.cond:
            return self.harness.queue.counts["succeeded"]

    def connections(self):
        """Return the server's backends on the database, on one kept connection."""
        import psycopg

        try:
            if self.conn is None:
                self.conn = backing.connect()
            return self.conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                [self.database],
            ).fetchone()[0]
        except psycopg.OperationalError:
            self.conn = None
            return backing.server_connections(self.database)

    def run(self):
        restarted = purged = False
        self.conn = None
        started = time.monotonic()
        next_sample = started
        while not self.stopping.is_set():
            self.peak = max(self.peak, self.connections())
            done = self.done()
            if time.monotonic() >= next_sample:
                # The machine's 1-minute load average, and progress, every 30 s.
                next_sample += 30
                load = os.getloadavg()[0]
                self.loads.append(load)
                elapsed = time.monotonic() - started
                print(
                    f"[{elapsed:7.0f} s] runs succeeded {done}, "
                    f"load average {load:.1f}, peak connections {self.peak}",
                    file=sys.stderr,
                    flush=True,
                )
            if not restarted and done >= self.total // 3:
                restarted = True
                killed = backing.terminate_connections(self.database)
                self.events.append(
                    {"at_done": done, "what": "pg_terminate_backend", "killed": killed}
                )
            if not purged and done >= self.total // 2:
                purged = True
                finished = self.harness.manage("purge_orphans", check=False)
                self.events.append(
                    {
                        "at_done": done,
                        "what": "purge_orphans",
                        "exit": finished.returncode,
                        "output": (finished.stdout + finished.stderr)[-400:],
                    }
                )
            self.stopping.wait(0.25)
        if self.conn is not None:
            self.conn.close()


def stored_uploads(s3, bucket):
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix="uploads/"
    ):
        keys.update(item["Key"] for item in page.get("Contents", ()))
    return keys


def drain(harness, deadline, stop):
    """Wait for the harness to drain until ``deadline`` or ``stop``; say whether
    it did."""
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if harness.drain(min(left, 2.0)):
            return True
    return False


def stop_on_signals():
    """Return an event set by SIGTERM or SIGINT, so a stopped burst still
    reports what it did (a background shell may have SIGINT ignored: set it),
    and the handlers it replaced."""
    stop = threading.Event()
    replaced = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            replaced[number] = signal.signal(number, lambda *_: stop.set())
    return stop, replaced


def run(args):
    import boto3

    stop, replaced = stop_on_signals()

    out = Path(args.out) / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / "moto.log", "ab")  # noqa: SIM115
    moto = backing.MotoServer(log).start()
    faults = fault_proxy.FaultState(
        seed=args.seed, error_rate=args.s3_fault_rate, delay_rate=0, drop_rate=0
    )
    proxy, proxy_port = fault_proxy.start(moto.port, faults)
    pgbouncer = backing.PgBouncer(out / "pgbouncer", pool_size=args.pool_size).start()
    backing.create_database(args.db)
    backing.manage(
        "migrate",
        "--noinput",
        database_url=f"postgres://postgres@127.0.0.1:5432/{args.db}",
        secret_key="burst-migrations-only",
    )
    bucket = "mediahub-burst-media"
    s3 = boto3.client(
        "s3",
        endpoint_url=moto.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106
    )
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    policy = Policy(
        concurrency=args.concurrency,
        duplicate_rate=args.duplicate_rate,
        seed=args.seed,
        max_age=args.max_age,
    ).scaled(args.time_scale)
    harness = Harness(
        workdir=out / "harness",
        s3_endpoint=f"http://127.0.0.1:{proxy_port}",
        aws_endpoint=moto.url,
        database_url=pgbouncer.url(args.db),
        bucket=bucket,
        policy=policy,
        kill_rate=args.kill_rate,
        kill_window=(0.05, 1.5),
    ).start()
    report = {"options": vars(args)}
    try:
        keys = json.loads(
            harness.manage("shell", "-c", MINT % args.uploads).stdout.splitlines()[-1]
        )
        for key, (_, data) in zip(
            keys,
            variants(args.photos, args.uploads, max_side=args.max_side, seed=args.seed),
            strict=True,
        ):
            s3.put_object(Bucket=bucket, Key=key, Body=data)
        faults.on = True
        monitor = Monitor(harness, pgbouncer, args.db, args.uploads)
        started = time.monotonic()
        # The objects land at once: each one's wait is counted from here.
        uploaded_at = dict.fromkeys(keys, time.time())
        harness.put_s3_events(keys)
        monitor.start()
        # --timeout bounds the whole run: what follows gets what is left.
        budget = started + args.timeout
        drained = drain(harness, budget, stop)
        report["drain_s"] = round(time.monotonic() - started, 1)
        report["interrupted"] = stop.is_set()
        report["drained"] = drained
        monitor.stopping.set()
        monitor.join()
        faults.on = False
        listed = harness.manage("shell", "-c", COMMANDS).stdout.splitlines()[-1]
        commands = set(json.loads(listed))
        report["after"] = {}
        for command in ("redrive", "sweep"):
            if stop.is_set():
                report["after"][command] = "not run: the burst was stopped"
            elif command in commands:
                finished = harness.manage(command, check=False)
                drain(harness, max(time.monotonic() + 1.0, budget), stop)
                report["after"][command] = {
                    "exit": finished.returncode,
                    "output": (finished.stdout + finished.stderr)[-400:],
                }
            else:
                report["after"][command] = "not in this version"
        report["figures"] = figures.collect(
            database=args.db,
            keys=keys,
            uploaded_at=uploaded_at,
            stored_uploads=stored_uploads(s3, bucket),
        )
        runs = harness.runs
        failed = harness.on_failure_records()
        took = sorted(r["finished"] - r["started"] for r in runs if "finished" in r)
        report["delivery"] = {
            **harness.queue.counts,
            "runs": len(runs),
            "killed": sum(1 for r in runs if r["killed"]),
            "function_errors": sum(1 for r in runs if r.get("error")),
            "errors_by_type": dict(
                Counter(r["error"]["errorType"] for r in runs if r.get("error"))
            ),
            "cold_starts": sum(c.cold_starts for c in harness.containers),
            "run_s_p50_p95": [
                None if v is None else round(v, 2)
                for v in (figures.percentile(took, 0.5), figures.percentile(took, 0.95))
            ],
            "app_invocations": harness.app_invocations,
            "on_failure": [
                {
                    "condition": r["requestContext"]["condition"],
                    "error": (r["responsePayload"] or {}).get("errorType"),
                }
                for r in failed
            ],
        }
        report["database"] = {
            "peak_server_connections": monitor.peak,
            "pool_size": args.pool_size,
            "events": monitor.events,
        }
        loads = monitor.loads or [os.getloadavg()[0]]
        report["load_average"] = {
            "min": round(min(loads), 1),
            "mean": round(sum(loads) / len(loads), 1),
            "max": round(max(loads), 1),
        }
        report["s3_faults"] = faults.counts
        # Written before the teardown: a back-end slow to stop must not cost
        # the figures of a long run.
        (out / "figures.json").write_text(json.dumps(report, indent=2, default=str))
    finally:
        for stop_one in (harness.stop, proxy.shutdown, pgbouncer.stop, moto.stop):
            try:
                stop_one()
            except Exception as e:  # noqa: BLE001 (the rest must stop too)
                print(f"stopping: {stop_one.__qualname__}: {e!r}", file=sys.stderr)
        for number, handler in replaced.items():
            signal.signal(number, handler)
    return report


def table(report):
    f, d, db = report["figures"], report["delivery"], report["database"]
    ready = f["renditions"].get("ready", 0)
    rows = [
        ("uploads", f["uploads"]),
        ("assets made", f["assets"]),
        ("assets with every rendition ready", f["assets_ready"]),
        (
            "renditions ready / pending / failed",
            "{} / {} / {}".format(
                ready,
                f["renditions"].get("pending", 0),
                f["renditions"].get("failed", 0),
            ),
        ),
        (
            "refusals recorded",
            "no UploadRefusal model" if f["refusals"] is None else f["refusals"],
        ),
        ("duplicate assets", f["duplicates"]),
        ("uploads still pending (object stored, no asset)", f["pending_uploads"]),
        ("lost uploads", f["lost"]),
        (
            "time to drain",
            f"{report['drain_s']} s"
            if report["drained"]
            else f"not drained: stopped after {report['drain_s']} s",
        ),
        (
            "load average (1 min) during the drain, min / mean / max",
            "{min} / {mean} / {max}".format(**report["load_average"]),
        ),
        (
            "peak server connections (pool)",
            f"{db['peak_server_connections']} ({db['pool_size']})",
        ),
        (
            "upload to ready, p50 / p95 / max",
            "{} / {} / {} s".format(
                *(
                    None if v is None else round(v, 1)
                    for v in (f["ready_p50_s"], f["ready_p95_s"], f["ready_max_s"])
                )
            ),
        ),
        (
            "handler runs / killed / function errors",
            f"{d['runs']} / {d['killed']} / {d['function_errors']} "
            f"{d['errors_by_type']}",
        ),
        (
            "deliveries duplicated / throttle back-offs / retried",
            f"{d['duplicated']} / {d['throttled']} / {d['retried']}",
        ),
        ("cold starts", d["cold_starts"]),
        ("handler run time, p50 / p95", "{} / {} s".format(*d["run_s_p50_p95"])),
        ("on-failure records", len(d["on_failure"])),
        ("S3 requests failed by the proxy", report["s3_faults"].get("503", 0)),
    ]
    return "\n".join(
        ["| figure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    )


def main(argv=None):
    args = options(argv)
    report = run(args)
    print(json.dumps({k: report[k] for k in ("database", "after")}, indent=2))
    print(table(report))


if __name__ == "__main__":
    main()
