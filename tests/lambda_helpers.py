"""Constants and builders shared by the Lambda tests (events, photos, names)."""

import json
from pathlib import Path
from urllib.parse import quote

from tests.conftest import TESTDATA

ROOT = Path(__file__).resolve().parent.parent
EVENTS = TESTDATA / "events"
FUNCTION_NAME = "mediahub-dev"
MEDIA_ARN = "arn:aws:s3:::mediahub-dev-media"


def load_event(name):
    """Return a fresh copy of a third-party event sample."""
    return json.loads((EVENTS / name).read_text())


def upload_photo(s3, key, name="Landscape_5.jpg"):
    """Put a real photo into the bucket under ``key``, as a browser's POST would."""
    data = (TESTDATA / "photos" / "orientation" / name).read_bytes()
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=data)
    return data


def s3_event(bucket, encoded_key, size, sample="aws-lambda-go/s3-event.json"):
    """Return an S3 event sample rewritten for ``bucket`` and an encoded key."""
    event = load_event(sample)
    for record in event["Records"]:
        record["awsRegion"] = "eu-west-1"
        record["s3"]["bucket"]["name"] = bucket
        record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
        record["s3"]["object"]["key"] = encoded_key
        record["s3"]["object"]["size"] = size
    return event


def deliver(media_events, s3, key, size=1000):
    """Deliver the ObjectCreated event of ``key`` through Zappa's handler."""
    event = s3_event(s3.bucket, quote(key, safe=""), size)
    return media_events.lambda_handler(json.loads(json.dumps(event)), None)
