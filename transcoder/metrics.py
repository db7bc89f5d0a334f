"""One structured log line per transcode; on Lambda, CloudWatch metrics too.

Off Lambda the line is ``transcode {json}`` through ``logging``. On Lambda
(``AWS_LAMBDA_FUNCTION_NAME`` is set) it is written to stdout as a CloudWatch
Embedded Metric Format document, which CloudWatch turns into the metrics
``RenditionsBuilt``, ``RenditionsFailed`` and ``TranscodeMs`` in the namespace
``mediahub``, with no dimensions (the stack's alarm watches exactly that), and
no API call. The document keeps the asset, preset, bytes and outcome as
properties, so Logs Insights can search them.
"""

import json
import logging
import os
import sys
import time

logger = logging.getLogger(__name__)

NAMESPACE = "mediahub"
METRICS = (
    ("RenditionsBuilt", "Count"),
    ("RenditionsFailed", "Count"),
    ("TranscodeMs", "Milliseconds"),
)


def transcode_record(*, asset, preset, ms, size, built, failed, outcome):
    """Return the fields of one transcode line."""
    return {
        "asset": asset,
        "preset": preset,
        "ms": ms,
        "bytes": size,
        "built": built,
        "failed": failed,
        "outcome": outcome,
    }


def emf_document(record, *, timestamp_ms=None):
    """Return ``record`` as an Embedded Metric Format document."""
    return {
        "_aws": {
            "Timestamp": timestamp_ms or int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [[]],
                    "Metrics": [{"Name": n, "Unit": u} for n, u in METRICS],
                }
            ],
        },
        "RenditionsBuilt": record["built"],
        "RenditionsFailed": record["failed"],
        "TranscodeMs": record["ms"],
        **record,
    }


def transcode_logged(*, stream=None, **fields):
    """Write one transcode line: EMF on stdout on Lambda, else through logging."""
    record = transcode_record(**fields)
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        # EMF must be the whole log event: the Lambda logging handler would
        # prefix a level and request id, so write the line ourselves.
        out = stream or sys.stdout
        out.write(json.dumps(emf_document(record), separators=(",", ":")) + "\n")
        out.flush()
    else:
        logger.info("transcode %s", json.dumps(record, separators=(",", ":")))
    return record
