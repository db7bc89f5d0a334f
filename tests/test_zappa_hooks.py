"""infra/zappa_hooks.py: the S3 trigger permission keeps only SourceAccount.

Zappa's own ``schedule_events`` runs against moto's Lambda and S3 server, as
``zappa deploy dev`` would, then the stage's ``post`` callback.
"""

import importlib.util
import json

import pytest

from tests.lambda_helpers import FUNCTION_NAME, MEDIA_ARN, ROOT

pytest_plugins = ["tests.lambda_support"]


def _hooks():
    spec = importlib.util.spec_from_file_location(
        "zappa_hooks", ROOT / "infra" / "zappa_hooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def deployed(moto_lambda, moto_endpoint):
    """Return a ZappaCLI for dev whose S3 event source Zappa has just added."""
    import boto3
    from zappa.cli import ZappaCLI

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="eu-west-1")
    bucket = MEDIA_ARN.split(":::")[1]
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    cli = ZappaCLI()
    cli.api_stage = "dev"
    cli.load_settings(str(ROOT / "zappa_settings.json"))
    client = cli.zappa.lambda_client
    arn = client.get_function(FunctionName=FUNCTION_NAME)["Configuration"][
        "FunctionArn"
    ]
    uploads = [e for e in cli.stage_config["events"] if "event_source" in e]
    cli.zappa.schedule_events(lambda_arn=arn, lambda_name=FUNCTION_NAME, events=uploads)
    yield cli
    s3.delete_bucket(Bucket=bucket)


def _s3_statements(cli):
    policy = json.loads(
        cli.zappa.lambda_client.get_policy(FunctionName=FUNCTION_NAME)["Policy"]
    )
    return [
        s
        for s in policy["Statement"]
        if (s.get("Principal") or {}).get("Service") == "s3.amazonaws.com"
    ]


def test_zappa_alone_leaves_an_s3_permission_without_source_account(deployed):
    """Control: Zappa 0.63 adds one S3 statement with SourceAccount, one without."""
    hooks = _hooks()
    statements = _s3_statements(deployed)

    weak = hooks.s3_trigger_statement_ids({"Statement": statements}, {MEDIA_ARN})

    assert weak == [f"s3-{MEDIA_ARN.split(':::')[1]}"]
    assert len(statements) == 2


def test_post_callback_keeps_only_the_statement_with_source_account(deployed):
    """After the stage's post callback, S3 may invoke only for this account."""
    removed = _hooks().tighten_s3_trigger(deployed)

    (statement,) = _s3_statements(deployed)
    assert removed == [f"s3-{MEDIA_ARN.split(':::')[1]}"]
    condition = statement["Condition"]
    assert condition["ArnLike"]["AWS:SourceArn"] == MEDIA_ARN
    assert condition["StringEquals"]["AWS:SourceAccount"].isdigit()
