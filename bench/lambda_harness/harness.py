"""Deliver events to Zappa's own handler as Lambda's async invocation does.

``Harness`` owns the queue (``delivery.AsyncQueue``), one container process
per unit of reserved concurrency (``container.py``), the local Invoke API the
app's own async invocations come back through (``invoke_api.py``) and the
on-failure destination, an SQS queue on moto's server. It is not a runtime of
its own: every event runs through ``zappa.handler.lambda_handler`` with the
settings ``zappa package`` writes for the dev stage.
"""

import json
import logging
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from bench.lambda_harness.backing import ROOT
from bench.lambda_harness.container import Container
from bench.lambda_harness.delivery import AsyncQueue, Policy, RealClock
from bench.lambda_harness.invoke_api import InvokeAPI
from bench.workload import SHARED_DIR

logger = logging.getLogger(__name__)

FUNCTION_NAME = "mediahub-dev"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
STAGE_BUCKET = "mediahub-dev-media"
# How often, at most, due events are throttled while every environment is busy.
THROTTLE_TICK = 0.02
S3_SAMPLE = SHARED_DIR / "testdata" / "events" / "aws-lambda-go" / "s3-event.json"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def zappa_settings_source(bucket, config_bucket):
    """Return the dev stage's generated zappa_settings.py, for this bucket.

    Zappa's CLI writes it offline from zappa_settings.json, as ``make
    package`` does; the lines added after it name the harness's buckets in
    place of the stage's.
    """
    from zappa.cli import ZappaCLI

    for name, value in AWS_ENV.items():
        os.environ.setdefault(name, value)
    cli = ZappaCLI()
    cli.api_stage = "dev"
    cli.load_settings(str(ROOT / "zappa_settings.json"))
    return cli.get_zappa_settings_string() + "\n".join(
        [
            "",
            "ENVIRONMENT_VARIABLES = {**ENVIRONMENT_VARIABLES, "
            f"'AWS_STORAGE_BUCKET_NAME': {bucket!r}}}",
            f"AWS_EVENT_MAPPING = {{'arn:aws:s3:::{bucket}': "
            f"AWS_EVENT_MAPPING['arn:aws:s3:::{STAGE_BUCKET}']}}",
            f"REMOTE_ENV = 's3://{config_bucket}/remote_env.json'",
            "",
        ]
    )


def s3_event(bucket, key, size):
    """Return AWS's S3 ObjectCreated sample, filled in for ``key`` in ``bucket``."""
    event = json.loads(S3_SAMPLE.read_text())
    for record in event["Records"]:
        record["awsRegion"] = REGION
        record["s3"]["bucket"]["name"] = bucket
        record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
        record["s3"]["object"]["key"] = quote(key, safe="/")
        record["s3"]["object"]["size"] = size
    return event


class Harness:
    """Lambda's async delivery in front of Zappa's handler, on 127.0.0.1."""

    def __init__(
        self,
        *,
        workdir,
        s3_endpoint,
        database_url,
        bucket,
        policy=None,
        clock=None,
        aws_endpoint=None,
        kill_rate=0.0,
        kill_window=(0.1, 1.0),
        environ=None,
        on_failure_queue=f"{FUNCTION_NAME}-on-failure",
    ):
        self.workdir = Path(workdir)
        self.s3_endpoint = s3_endpoint
        # moto's own address, for SQS and the remote env (never the fault proxy).
        self.aws_endpoint = aws_endpoint or s3_endpoint
        self.database_url = database_url
        self.bucket = bucket
        self.policy = policy or Policy()
        self.clock = clock or RealClock()
        self.kill_rate = kill_rate
        self.kill_window = kill_window
        self.faults = random.Random(self.policy.seed + 1)
        self.environ = dict(environ or {})
        self.on_failure_queue = on_failure_queue
        self.secret_key = secrets.token_urlsafe(50)
        self.function_arn = (
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION_NAME}"
        )
        self.queue = AsyncQueue(self.policy, self.clock, self.function_arn)
        self.cond = threading.Condition(threading.RLock())
        self.runs = []
        self.sent = []
        self.app_invocations = 0
        self.failed_sent = 0
        self._sending = 0
        self._stopping = False
        self.invoke_api = InvokeAPI(FUNCTION_NAME, self._app_invoked)
        self.containers = [Container(self, n) for n in range(self.policy.concurrency)]
        self.dispatcher = threading.Thread(target=self._dispatch, daemon=True)

    # --- set up and tear down ---------------------------------------------------
    def client(self, service):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.aws_endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106
        )

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.workdir / "containers.log", "a")  # noqa: SIM115
        config_bucket = f"{self.bucket}-config"
        s3 = self.client("s3")
        s3.create_bucket(
            Bucket=config_bucket,
            CreateBucketConfiguration={"LocationConstraint": REGION},
        )
        self.on_failure_url = self.client("sqs").create_queue(
            QueueName=self.on_failure_queue
        )["QueueUrl"]
        # What production keeps out of the zip: Zappa's remote_env, on S3.
        s3.put_object(
            Bucket=config_bucket,
            Key="remote_env.json",
            Body=json.dumps(self.remote_env()).encode(),
        )
        (self.workdir / "zappa_settings.py").write_text(
            zappa_settings_source(self.bucket, config_bucket)
        )
        self.invoke_api.start()
        for container in self.containers:
            container.thread.start()
        self.dispatcher.start()
        return self

    def remote_env(self):
        return {
            "DATABASE_URL": self.database_url,
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_DISABLE_SERVER_SIDE_CURSORS": "1",
            # As the stack's FailureQueueUrl output goes into remote_env.
            "MEDIAHUB_FAILURE_QUEUE_URL": self.on_failure_url,
        }

    def container_env(self, number):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "DJANGO_", "MEDIAHUB_", "DATABASE_URL"))
        }
        env.update(AWS_ENV)
        env.update(
            {
                "PYTHONPATH": os.pathsep.join([str(self.workdir), str(ROOT)]),
                "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
                "AWS_LAMBDA_LOG_STREAM_NAME": f"harness-container-{number}",
                "AWS_REGION": REGION,
                # Zappa's remote env is read with boto3's default S3 client.
                "AWS_ENDPOINT_URL_S3": self.aws_endpoint,
                "AWS_ENDPOINT_URL_LAMBDA": self.invoke_api.url,
                "AWS_ENDPOINT_URL_SQS": self.aws_endpoint,
                "AWS_S3_ENDPOINT_URL": self.s3_endpoint,
                "MEDIAHUB_ENGINE_THREADS": "1",
                "LOG_LEVEL": "INFO",
            }
        )
        env.update(self.environ)
        return env

    def manage(self, *args, check=True):
        """Run ``manage.py`` as the stage would (its variables, the remote env,
        tasks sent to this harness); return the finished process."""
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "harness_zappa_settings", self.workdir / "zappa_settings.py"
        )
        stage = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(stage)
        env = self.container_env("manage")
        env.update(stage.ENVIRONMENT_VARIABLES)
        env.update(self.remote_env())
        env["DJANGO_SETTINGS_MODULE"] = stage.DJANGO_SETTINGS
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=check,
            capture_output=True,
            text=True,
        )

    def stop(self):
        with self.cond:
            self._stopping = True
            self.cond.notify_all()
        self.dispatcher.join(10)
        for container in self.containers:
            container.stop()
        self.invoke_api.stop()
        self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- events in --------------------------------------------------------------
    def put(self, payload, *, kind="event"):
        """Invoke the function asynchronously with ``payload``; return its id."""
        with self.cond:
            request_id = self.queue.put(payload, kind=kind)
            self.sent.append(request_id)
            self.cond.notify_all()
        return request_id

    def put_s3_event(self, key, size=1024):
        """Send the ObjectCreated event S3 sends when ``key`` lands in the bucket."""
        return self.put(s3_event(self.bucket, key, size), kind="s3")

    def put_s3_events(self, keys, size=1024):
        """Send the events of ``keys`` all at once, as a burst of uploads does."""
        with self.cond:
            ids = [self.put_s3_event(key, size) for key in keys]
        return ids

    def _app_invoked(self, payload):
        with self.cond:
            self.app_invocations += 1
        return self.put(payload, kind="task")

    # --- delivery ---------------------------------------------------------------
    def _dispatch(self):
        while True:
            with self.cond:
                if self._stopping:
                    return
                free = [c for c in self.containers if not c.busy]
                inv = self.queue.take(len(free))
                failures, self.queue.failures = self.queue.failures, []
                self._sending += len(failures)
                if inv is None:
                    busy = len(free) < len(self.containers)
                    due = self.queue.next_due()
                    if due is None:
                        if not failures:
                            self.cond.notify_all()
                            self.cond.wait(0.2 if not busy else 0.05)
                    elif not failures:
                        wait = due - self.clock.now()
                        if not free:
                            # Every environment is busy: a finished run wakes
                            # this loop at once; the events coming due in the
                            # meantime are throttled a tick at a time.
                            wait = max(wait, THROTTLE_TICK)
                        self.clock.wait(self.cond, wait, busy)
                else:
                    container = free[0]
                    container.busy = True
            self._send_failures(failures)
            if inv is not None:
                kill_after = None
                if self.kill_rate and self.faults.random() < self.kill_rate:
                    kill_after = self.faults.uniform(*self.kill_window)
                container.inbox.put((inv, kill_after))

    def finished(self, container, inv, record):
        """Take a run's outcome from a container; retry or record as AWS does."""
        with self.cond:
            self.runs.append(record)
            self.queue.finish(inv, record.get("error"))
            container.busy = False
            self.cond.notify_all()

    def _send_failures(self, records):
        if not records:
            return
        sqs = self.client("sqs")
        for record in records:
            sqs.send_message(
                QueueUrl=self.on_failure_url, MessageBody=json.dumps(record)
            )
        with self.cond:
            self.failed_sent += len(records)
            self._sending -= len(records)
            self.cond.notify_all()

    def in_flight(self):
        """Tell whether any event waits or runs."""
        with self.cond:
            return bool(self.queue.waiting) or any(c.busy for c in self.containers)

    def drain(self, timeout):
        """Wait until nothing waits or runs, up to ``timeout`` real seconds;
        return whether the queue drained."""
        deadline = time.monotonic() + timeout
        with self.cond:
            # A failure record taken with the last event may still be on its way.
            while (
                self.queue.waiting
                or self.queue.failures
                or self._sending
                or any(c.busy for c in self.containers)
            ):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
            return True

    def on_failure_records(self):
        """Return (and delete) every record in the on-failure queue."""
        sqs = self.client("sqs")
        records = []
        while True:
            answer = sqs.receive_message(
                QueueUrl=self.on_failure_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            messages = answer.get("Messages", [])
            if not messages:
                return records
            for message in messages:
                records.append(json.loads(message["Body"]))
                sqs.delete_message(
                    QueueUrl=self.on_failure_url, ReceiptHandle=message["ReceiptHandle"]
                )
