"""transcoder/aws/scheduled.py: the daily purge_orphans, routed by Zappa's handler."""

import json
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.lambda_helpers import FUNCTION_NAME, ROOT, load_event

pytest_plugins = ["tests.lambda_support"]

# Plain django_db; the tests that go through Zappa's handler or the S3 event
# entry point take transaction=True, because both call close_old_connections,
# which would close a connection left inside the test's transaction.
pytestmark = pytest.mark.django_db


def _scheduled_event(function="transcoder.aws.scheduled.purge_orphans"):
    """Return an EventBridge scheduled event for the stage's rule of ``function``.

    The rule name is the one Zappa's own ``get_scheduled_event_name`` gives the
    stage's event; the handler routes by what follows its last ``-``.
    """
    from zappa.core import Zappa

    config = json.loads((ROOT / "zappa_settings.json").read_text())
    (purge,) = [e for e in config["dev"]["events"] if e["function"] == function]
    # A plain method whose helpers are static: the class can stand in for self.
    rule = Zappa.get_scheduled_event_name(
        Zappa, purge, purge["function"], FUNCTION_NAME
    )
    event = load_event("zappa/zappa_s3_configurationid_routing.json")
    del event["Records"]
    event["detail-type"] = "Scheduled Event"
    event["resources"] = [f"arn:aws:events:eu-west-1:123456789012:rule/{rule}"]
    return event


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("url_ttl", "stray_left"), [(0, False), (900, True)], ids=["expired", "young"]
)
def test_daily_rule_runs_purge_orphans(
    zappa_handler, s3, presets, jpeg, settings, monkeypatch, url_ttl, stray_left
):
    """The scheduled event deletes a rendition object no row refers to once
    MEDIAHUB_URL_TTL has passed, and keeps every object a row refers to."""
    from transcoder import services
    from transcoder.services.background import maintenance

    settings.MEDIAHUB_URL_TTL = url_ttl
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    kept = s3.keys("renditions/")
    assert len(kept) == asset.renditions.count() == 3
    stray = f"renditions/{uuid.uuid4()}/card/0123456789abcdef-600.jpg"
    s3.client.put_object(Bucket=s3.bucket, Key=stray, Body=b"x")
    # S3 dates objects to the second: the purge's clock runs 2 s ahead rather
    # than the test sleeping until the stray is in the past.
    later = timezone.now() + timedelta(seconds=2)
    monkeypatch.setattr(maintenance, "timezone", SimpleNamespace(now=lambda: later))

    zappa_handler.lambda_handler(_scheduled_event(), None)

    assert s3.keys("renditions/") == sorted([*kept, stray] if stray_left else kept)
    assert s3.keys("originals/") == [asset.original]


def test_rule_name_routes_to_the_scheduled_function():
    """What the handler takes from the rule name is the dotted function path."""
    (arn,) = _scheduled_event()["resources"]

    assert arn.split("/")[-1].split("-")[-1] == "transcoder.aws.scheduled.purge_orphans"


@pytest.mark.django_db(transaction=True)
def test_sweep_rule_finalizes_an_upload_nobody_finalized(
    zappa_handler, s3, presets, admin_user, settings, monkeypatch
):
    """The sweep's scheduled event, through Zappa's handler, makes an asset of
    a photo whose S3 event and finalize never came, and builds its renditions."""
    from tests.lambda_helpers import upload_photo
    from transcoder.delivery import presign
    from transcoder.models import Asset
    from transcoder.services.background import sweeper

    key = presign.upload_key_new(user=admin_user)
    upload_photo(s3, key)
    settings.MEDIAHUB_SWEEP_UPLOADS_AFTER = 60
    later = timezone.now() + timedelta(minutes=5)
    monkeypatch.setattr(sweeper, "timezone", SimpleNamespace(now=lambda: later))

    zappa_handler.lambda_handler(
        _scheduled_event("transcoder.aws.scheduled.sweep"), None
    )

    asset = Asset.objects.get(upload_key=key)
    assert s3.keys("uploads/") == []
    assert set(asset.renditions.values_list("status", flat=True)) == {"ready"}


def test_sweep_rule_name_routes_to_the_sweep():
    """The sweep's rule, too, names its dotted function path after the last "-"."""
    (arn,) = _scheduled_event("transcoder.aws.scheduled.sweep")["resources"]

    assert arn.split("/")[-1].split("-")[-1] == "transcoder.aws.scheduled.sweep"
