"""transcoder/scheduled.py: the daily purge_orphans, routed by Zappa's handler."""

import json
import time
import uuid

import pytest

from tests.lambda_helpers import FUNCTION_NAME, ROOT, load_event

pytest_plugins = ["tests.lambda_support"]

pytestmark = pytest.mark.django_db(transaction=True)


def _scheduled_event():
    """Return an EventBridge scheduled event for the stage's purge rule.

    The rule name is the one Zappa's own ``get_scheduled_event_name`` gives the
    stage's event; the handler routes by what follows its last ``-``.
    """
    from zappa.core import Zappa

    config = json.loads((ROOT / "zappa_settings.json").read_text())
    (purge,) = [e for e in config["dev"]["events"] if "expression" in e]
    # A plain method whose helpers are static: the class can stand in for self.
    rule = Zappa.get_scheduled_event_name(
        Zappa, purge, purge["function"], FUNCTION_NAME
    )
    event = load_event("zappa/zappa_s3_configurationid_routing.json")
    del event["Records"]
    event["detail-type"] = "Scheduled Event"
    event["resources"] = [f"arn:aws:events:eu-west-1:123456789012:rule/{rule}"]
    return event


def test_daily_rule_runs_purge_orphans(zappa_handler, s3, settings):
    """The scheduled event deletes a rendition object no row refers to."""
    settings.MEDIAHUB_URL_TTL = 0
    stray = f"renditions/{uuid.uuid4()}/card/0123456789abcdef-600.jpg"
    kept = f"renditions/{uuid.uuid4()}/card/fedcba9876543210-600.jpg"
    s3.client.put_object(Bucket=s3.bucket, Key=stray, Body=b"x")
    time.sleep(1.1)  # S3 times are to the second; the object must be in the past.

    zappa_handler.lambda_handler(_scheduled_event(), None)
    s3.client.put_object(Bucket=s3.bucket, Key=kept, Body=b"x")

    assert s3.keys("renditions/") == [kept]


def test_rule_name_routes_to_the_scheduled_function():
    """What the handler takes from the rule name is the dotted function path."""
    (arn,) = _scheduled_event()["resources"]

    assert arn.split("/")[-1].split("-")[-1] == "transcoder.scheduled.purge_orphans"
