"""Transcode metrics: one structured line, as CloudWatch EMF on Lambda."""

import io
import json
import logging

from transcoder import metrics

FIELDS = dict(
    asset="a1", preset="card", ms=123, size=4567, built=2, failed=1, outcome="error"
)


def test_emf_document_follows_the_schema(monkeypatch):
    """The EMF line names namespace mediahub, three metrics and no dimensions."""
    stream = io.StringIO()
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "mediahub-dev")
    metrics.transcode_logged(stream=stream, **FIELDS)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    doc = json.loads(lines[0])
    aws = doc["_aws"]
    assert isinstance(aws["Timestamp"], int) and aws["Timestamp"] > 1_600_000_000_000
    (directive,) = aws["CloudWatchMetrics"]
    assert directive["Namespace"] == "mediahub"
    assert directive["Dimensions"] == [[]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "RenditionsBuilt": "Count",
        "RenditionsFailed": "Count",
        "TranscodeMs": "Milliseconds",
    }
    # Every metric named in the directive is a number at the top level.
    assert (doc["RenditionsBuilt"], doc["RenditionsFailed"], doc["TranscodeMs"]) == (
        2,
        1,
        123,
    )
    assert (doc["asset"], doc["preset"], doc["bytes"], doc["outcome"]) == (
        "a1",
        "card",
        4567,
        "error",
    )


def test_off_lambda_the_line_goes_through_logging(caplog, monkeypatch, capsys):
    """Without AWS_LAMBDA_FUNCTION_NAME the line is logged, not printed."""
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    with caplog.at_level(logging.INFO, logger="transcoder.metrics"):
        metrics.transcode_logged(**FIELDS)
    assert capsys.readouterr().out == ""
    (record,) = [r for r in caplog.records if r.name == "transcoder.metrics"]
    message = record.getMessage()
    assert message.startswith("transcode ")
    assert json.loads(message.removeprefix("transcode ")) == {
        "asset": "a1",
        "preset": "card",
        "ms": 123,
        "bytes": 4567,
        "built": 2,
        "failed": 1,
        "outcome": "error",
    }
    assert "_aws" not in message


def test_on_lambda_nothing_else_is_logged(caplog, monkeypatch, capsys):
    """On Lambda the EMF line on stdout is the only record of the transcode."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "mediahub-dev")
    with caplog.at_level(logging.INFO, logger="transcoder.metrics"):
        metrics.transcode_logged(**FIELDS)
    out = capsys.readouterr().out
    assert json.loads(out)["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "mediahub"
    assert not [r for r in caplog.records if r.name == "transcoder.metrics"]
