"""Lambda's asynchronous invocation queue, as AWS documents it, without AWS.

Pure bookkeeping, no processes and no Django: what is due, what is throttled,
what is retried when, and what goes to the on-failure destination in AWS's
destination-record shape. The clock and the random draws are injected, so a
test can pass minutes in no time and get the same draws every run.

What AWS does, and this queue does too:
- an event may be delivered more than once (``duplicate_rate``) and in any
  order (due events are picked at random, ``reorder``);
- a function error is retried twice, about one and then two minutes later
  (``retry_delays``); after that the event goes to the on-failure
  destination with ``RetriesExhausted``;
- at reserved concurrency, an event that finds no free environment is
  throttled and tried again with a growing back-off, up to the event's
  maximum age;
- an event older than ``max_age`` is never run again: it goes to the
  on-failure destination with ``EventAgeExceeded``.
"""

import heapq
import itertools
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

# AWS's defaults: two retries, about a minute then two; six hours of age.
RETRY_DELAYS = (60.0, 120.0)
MAX_EVENT_AGE = 6 * 3600.0
# Throttled events are retried from about a second up to five minutes apart.
THROTTLE_BACKOFF = (1.0, 300.0)


class RealClock:
    """Wall time; ``wait`` blocks on the harness's condition until woken or due."""

    def now(self):
        return time.monotonic()

    def wait(self, condition, seconds, busy):
        condition.wait(timeout=max(0.0, min(seconds, 0.5)))


class FakeClock:
    """Time that passes only when the harness has nothing running and waits.

    Handler runs are real and take real time; the minutes between retries are
    not: when every environment is idle, waiting for the next due event moves
    this clock straight to it.
    """

    def __init__(self, start=0.0):
        self.time = start
        self.lock = threading.Lock()

    def now(self):
        with self.lock:
            return self.time

    def advance(self, seconds):
        with self.lock:
            self.time += seconds

    def wait(self, condition, seconds, busy):
        if busy:
            condition.wait(timeout=0.05)
        else:
            self.advance(max(seconds, 0.0))


@dataclass
class Policy:
    """How the harness delivers: AWS's async invocation settings and the faults."""

    concurrency: int = 4
    retry_delays: tuple = RETRY_DELAYS
    max_age: float = MAX_EVENT_AGE
    throttle_backoff: tuple = THROTTLE_BACKOFF
    duplicate_rate: float = 0.0
    reorder: bool = True
    seed: int = 19

    def scaled(self, factor):
        """Return this policy with its retry delays and throttle back-offs
        multiplied by ``factor``; the maximum event age stays as it is."""
        low, high = self.throttle_backoff
        return Policy(
            concurrency=self.concurrency,
            retry_delays=tuple(d * factor for d in self.retry_delays),
            max_age=self.max_age,
            throttle_backoff=(low * factor, high * factor),
            duplicate_rate=self.duplicate_rate,
            reorder=self.reorder,
            seed=self.seed,
        )


@dataclass
class Invocation:
    """One event in the queue: a request id, its payload and what happened to it."""

    request_id: str
    payload: dict
    kind: str
    received_at: float
    not_before: float
    serial: int
    duplicate: bool = False
    attempts: int = 0
    throttles: int = 0
    last_response: dict | None = None
    runs: list = field(default_factory=list)


class AsyncQueue:
    """The queue in front of one function's reserved concurrency.

    Waiting events sit in two heaps, by when they are next due and by when
    they were received, so finding what is due or too old costs a logarithm
    of the queue's length, not a pass over it: a burst keeps thousands of
    events waiting, and the dispatcher asks many times a second.
    """

    def __init__(self, policy, clock, function_arn):
        self.policy = policy
        self.clock = clock
        self.function_arn = function_arn
        self.random = random.Random(policy.seed)
        # serial -> Invocation, for every event waiting (not running, not done).
        self.waiting = {}
        self._by_due = []
        self._by_age = []
        self.failures = []
        self.counts = dict.fromkeys(
            ("received", "duplicated", "throttled", "retried", "succeeded"), 0
        )
        self._serial = itertools.count()

    def put(self, payload, *, kind):
        """Accept an event as Lambda's Invoke API (Event) or S3 does; return its id."""
        now = self.clock.now()
        request_id = str(uuid.uuid4())
        self.counts["received"] += 1
        self._wait(self._new(request_id, payload, kind, now))
        if self.random.random() < self.policy.duplicate_rate:
            # At least once: the same event, the same request id, twice.
            self.counts["duplicated"] += 1
            self._wait(self._new(request_id, payload, kind, now, True))
        return request_id

    def _new(self, request_id, payload, kind, now, duplicate=False):
        return Invocation(
            request_id=request_id,
            payload=payload,
            kind=kind,
            received_at=now,
            not_before=now,
            serial=next(self._serial),
            duplicate=duplicate,
        )

    def _wait(self, inv):
        self.waiting[inv.serial] = inv
        heapq.heappush(self._by_due, (inv.not_before, inv.serial, inv))
        # A retried event comes back with its first age: a second entry, and
        # whichever is popped first (while it waits) expires it.
        heapq.heappush(self._by_age, (inv.received_at, inv.serial, inv))

    def _expire(self, now):
        """Send every waiting event older than the maximum age to on-failure."""
        limit = now - self.policy.max_age
        while self._by_age and self._by_age[0][0] < limit:
            _, serial, inv = heapq.heappop(self._by_age)
            if self.waiting.pop(serial, None) is not None:
                self._fail(inv, "EventAgeExceeded")

    def _pop_due(self, now):
        """Take every waiting event due by ``now`` off the due heap, by serial."""
        due = []
        while self._by_due and self._by_due[0][0] <= now:
            _, serial, inv = heapq.heappop(self._by_due)
            if serial in self.waiting:
                due.append(inv)
        due.sort(key=lambda i: i.serial)
        return due

    def take(self, free):
        """Return the next event to run now, or None.

        ``free`` is how many environments are idle. Events too old go to the
        on-failure destination; due events beyond the free environments are
        throttled and backed off.
        """
        now = self.clock.now()
        self._expire(now)
        due = self._pop_due(now)
        if not due:
            return None
        if free <= 0:
            for inv in due:
                self._throttle(inv, now)
            return None
        if self.policy.reorder:
            chosen = self.random.choice(due)
        else:
            chosen = min(due, key=lambda i: (i.not_before, i.serial))
        for inv in due:
            if inv is not chosen:
                heapq.heappush(self._by_due, (inv.not_before, inv.serial, inv))
        del self.waiting[chosen.serial]
        chosen.attempts += 1
        return chosen

    def _throttle(self, inv, now):
        self.counts["throttled"] += 1
        inv.throttles += 1
        low, high = self.policy.throttle_backoff
        backoff = min(high, low * 2 ** min(inv.throttles - 1, 20))
        # Full jitter: throttled events come back in no particular order.
        inv.not_before = now + backoff * self.random.random()
        heapq.heappush(self._by_due, (inv.not_before, inv.serial, inv))

    def next_due(self):
        """Return when the next waiting event is due (clock time), or None."""
        for heap in (self._by_due, self._by_age):
            while heap and heap[0][1] not in self.waiting:
                heapq.heappop(heap)
        if not self.waiting:
            return None
        return min(
            self._by_due[0][0],
            self._by_age[0][0] + self.policy.max_age + 1e-6,
        )

    def finish(self, inv, response):
        """Record how a run of ``inv`` ended; retry or give it up as AWS does.

        ``response`` is None for success, else the function error's payload
        (``errorType``, ``errorMessage``).
        """
        inv.runs.append(response)
        if response is None:
            self.counts["succeeded"] += 1
            return
        inv.last_response = response
        retries = len(self.policy.retry_delays)
        if inv.attempts > retries:
            self._fail(inv, "RetriesExhausted")
            return
        self.counts["retried"] += 1
        inv.not_before = self.clock.now() + self.policy.retry_delays[inv.attempts - 1]
        self._wait(inv)

    def _fail(self, inv, condition):
        self.failures.append(destination_record(inv, condition, self.function_arn))


def destination_record(inv, condition, function_arn):
    """Return the on-failure destination record Lambda sends for ``inv``.

    The shape of AWS's documented invocation record: version, timestamp,
    requestContext, requestPayload, responseContext, responsePayload.
    """
    response = inv.last_response
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
        "requestContext": {
            "requestId": inv.request_id,
            "functionArn": f"{function_arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": inv.attempts,
        },
        "requestPayload": inv.payload,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled" if response is not None else "",
        },
        "responsePayload": response,
    }
