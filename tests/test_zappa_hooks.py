"""infra/zappa_hooks.py: only sound invoke permissions survive a deploy.

A table of resource-policy statements runs through the check; then Zappa's
own ``schedule_events`` runs against moto's Lambda and S3 server, as
``zappa deploy dev`` would, followed by the stage's ``post`` callback.
"""

import importlib.util
import json
import re

import pytest

from tests.lambda_helpers import FUNCTION_NAME, MEDIA_ARN, ROOT

pytest_plugins = ["tests.lambda_support"]

ACCOUNT = "123456789012"
OTHER = "210987654321"
BUCKET = MEDIA_ARN.split(":::")[1]
API = f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:a1b2c3d4e5/*"


def _hooks():
    """Load the hooks as Zappa does: by path, on their own."""
    spec = importlib.util.spec_from_file_location(
        "zappa_hooks", ROOT / "infra" / "zappa_hooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOKS = _hooks()


def _allow(principal, condition=None, action="lambda:InvokeFunction", effect="Allow"):
    statement = {
        "Sid": "s",
        "Effect": effect,
        "Principal": principal,
        "Action": action,
        "Resource": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{FUNCTION_NAME}",
    }
    if condition is not None:
        statement["Condition"] = condition
    return statement


S3 = {"Service": "s3.amazonaws.com"}
ZAPPA_SOUND = {
    "StringEquals": {"AWS:SourceAccount": ACCOUNT},
    "ArnLike": {"AWS:SourceArn": MEDIA_ARN},
}
MISSING_ACCOUNT = "add a condition StringEquals aws:SourceAccount 123456789012"
MISSING_ARN = f"add a condition ArnLike aws:SourceArn {re.escape(MEDIA_ARN)}"
NOT_THE_BUCKET = "is not exactly the media bucket"
NOT_THIS_ACCOUNT = "does not hold it to this account"
NO_API = "naming this account's API"

# (statement, None if accepted or a pattern every problem list must match)
STATEMENTS = {
    "zappa-create-event-permission": (_allow(S3, ZAPPA_SOUND), None),
    "zappa-s3-event-source-add": (
        _allow(S3, {"ArnLike": {"AWS:SourceArn": MEDIA_ARN}}),
        MISSING_ACCOUNT,
    ),
    "unconditioned": (_allow(S3), f"{MISSING_ACCOUNT}.*{MISSING_ARN}"),
    "arn-equals-exact-bucket": (
        _allow(
            S3,
            {
                "ArnEquals": {"aws:SourceArn": MEDIA_ARN},
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
            },
        ),
        None,
    ),
    "string-equals-exact-bucket": (
        _allow(
            S3,
            {
                "StringEquals": {
                    "aws:SourceArn": MEDIA_ARN,
                    "aws:SourceAccount": ACCOUNT,
                }
            },
        ),
        None,
    ),
    "wildcard-bucket-arn": (
        _allow(
            S3,
            {
                "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::mediahub-dev-*"},
                "StringEquals": {"AWS:SourceAccount": ACCOUNT},
            },
        ),
        NOT_THE_BUCKET,
    ),
    "any-bucket": (
        _allow(
            S3,
            {
                "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::*"},
                "StringEquals": {"AWS:SourceAccount": ACCOUNT},
            },
        ),
        NOT_THE_BUCKET,
    ),
    "another-bucket-too": (
        _allow(
            S3,
            {
                "ArnEquals": {"AWS:SourceArn": [MEDIA_ARN, "arn:aws:s3:::elsewhere"]},
                "StringEquals": {"AWS:SourceAccount": ACCOUNT},
            },
        ),
        NOT_THE_BUCKET,
    ),
    "lower-case-keys-and-operators": (
        _allow(
            S3,
            {
                "arnlike": {"aws:sourcearn": MEDIA_ARN},
                "stringequals": {"aws:sourceaccount": ACCOUNT},
            },
        ),
        None,
    ),
    "lower-case-key-no-account": (
        _allow(S3, {"ArnLike": {"aws:sourcearn": MEDIA_ARN}}),
        MISSING_ACCOUNT,
    ),
    "lower-case-service": (
        _allow({"Service": "S3.AMAZONAWS.COM"}, {"ArnLike": {"x": "y"}}),
        f"{MISSING_ACCOUNT}.*{MISSING_ARN}",
    ),
    "star-principal": (_allow("*"), f"{MISSING_ACCOUNT}.*{MISSING_ARN}"),
    "aws-star-principal": (_allow({"AWS": "*"}), MISSING_ACCOUNT),
    "star-principal-held-to-the-bucket": (_allow("*", ZAPPA_SOUND), None),
    "missing-source-account": (
        _allow(S3, {"ArnEquals": {"AWS:SourceArn": MEDIA_ARN}}),
        MISSING_ACCOUNT,
    ),
    "another-account": (
        _allow(
            S3,
            {
                "StringEquals": {"AWS:SourceAccount": OTHER},
                "ArnLike": {"AWS:SourceArn": MEDIA_ARN},
            },
        ),
        NOT_THIS_ACCOUNT,
    ),
    "account-if-exists": (
        _allow(
            S3,
            {
                "StringEqualsIfExists": {"AWS:SourceAccount": ACCOUNT},
                "ArnLike": {"AWS:SourceArn": MEDIA_ARN},
            },
        ),
        NOT_THIS_ACCOUNT,
    ),
    "account-pattern": (
        _allow(
            S3,
            {
                "StringLike": {"AWS:SourceAccount": "1234*"},
                "ArnLike": {"AWS:SourceArn": MEDIA_ARN},
            },
        ),
        NOT_THIS_ACCOUNT,
    ),
    "account-not-equals": (
        _allow(
            S3,
            {
                "StringNotEquals": {"AWS:SourceAccount": OTHER},
                "ArnLike": {"AWS:SourceArn": MEDIA_ARN},
            },
        ),
        NOT_THIS_ACCOUNT,
    ),
    "service-list-with-s3": (
        _allow({"Service": ["sns.amazonaws.com", "s3.amazonaws.com"]}),
        MISSING_ACCOUNT,
    ),
    "lambda-star-action": (_allow(S3, action="lambda:*"), MISSING_ACCOUNT),
    "not-action": (
        {**_allow(S3), "NotAction": "lambda:GetPolicy", "Action": None},
        MISSING_ACCOUNT,
    ),
    "deny": (_allow(S3, effect="Deny"), None),
    "not-an-invoke": (_allow(S3, action="lambda:GetFunction"), None),
    "api-gateway-unconditioned": (
        _allow({"Service": "apigateway.amazonaws.com"}),
        NO_API,
    ),
    "api-gateway-own-api": (
        _allow(
            {"Service": "apigateway.amazonaws.com"},
            {"ArnLike": {"AWS:SourceArn": API}},
        ),
        None,
    ),
    "api-gateway-any-api-of-the-account": (
        _allow(
            {"Service": "apigateway.amazonaws.com"},
            {"ArnLike": {"AWS:SourceArn": f"arn:aws:execute-api:*:{ACCOUNT}:*"}},
        ),
        NO_API,
    ),
    "api-gateway-another-account": (
        _allow(
            {"Service": "apigateway.amazonaws.com"},
            {"ArnLike": {"AWS:SourceArn": API.replace(ACCOUNT, OTHER)}},
        ),
        NO_API,
    ),
    "events-rule": (
        _allow(
            {"Service": "events.amazonaws.com"},
            {"ArnLike": {"AWS:SourceArn": "arn:aws:events:eu-west-1:1:rule/x"}},
        ),
        None,
    ),
}


@pytest.mark.parametrize(
    ("statement", "verdict"), list(STATEMENTS.values()), ids=list(STATEMENTS)
)
def test_statement_verdicts(statement, verdict):
    """S3 or anyone: this account and exactly the bucket; API Gateway: its own API."""
    if statement.get("Action") is None:
        statement = {k: v for k, v in statement.items() if k != "Action"}

    problems = HOOKS.statement_problems(
        statement, account=ACCOUNT, bucket_arns={MEDIA_ARN}
    )

    if verdict is None:
        assert problems == []
    else:
        assert problems
        assert re.search(verdict, " | ".join(problems)), problems


def test_weak_statements_names_each_by_sid_or_position():
    """Each too-broad statement is listed under its Sid, or its index without one."""
    sound = {**_allow(S3, ZAPPA_SOUND), "Sid": "sound"}
    weak = {**_allow(S3), "Sid": "weak"}
    anonymous = {k: v for k, v in _allow("*").items() if k != "Sid"}

    found = HOOKS.weak_statements(
        {"Statement": [sound, weak, anonymous]},
        account=ACCOUNT,
        bucket_arns={MEDIA_ARN},
    )

    assert set(found) == {"weak", "#2"}


@pytest.fixture
def deployed(moto_lambda, moto_endpoint):
    """Return a ZappaCLI for dev whose S3 event source Zappa has just added."""
    import boto3
    from zappa.cli import ZappaCLI

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="eu-west-1")
    s3.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
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
    s3.delete_bucket(Bucket=BUCKET)


def _statements(cli):
    client = cli.zappa.lambda_client
    try:
        policy = client.get_policy(FunctionName=FUNCTION_NAME)["Policy"]
    except client.exceptions.ResourceNotFoundException:
        return []  # the last statement is gone, and the policy with it
    return json.loads(policy)["Statement"]


def _s3_statements(cli):
    return [
        s
        for s in _statements(cli)
        if (s.get("Principal") or {}).get("Service") == "s3.amazonaws.com"
    ]


def test_zappa_alone_leaves_an_s3_permission_without_source_account(deployed):
    """Control: Zappa 0.63 adds one S3 statement with SourceAccount, one without."""
    statements = _s3_statements(deployed)
    account = statements[0]["Resource"].split(":")[4]

    weak = HOOKS.weak_statements(
        {"Statement": statements}, account=account, bucket_arns={MEDIA_ARN}
    )

    assert list(weak) == [f"s3-{BUCKET}"]
    assert len(statements) == 2


def test_post_callback_keeps_only_the_statement_with_source_account(deployed):
    """After the stage's post callback, S3 may invoke only for this account."""
    removed = HOOKS.tighten_s3_trigger(deployed)

    (statement,) = _s3_statements(deployed)
    assert removed == [f"s3-{BUCKET}"]
    condition = statement["Condition"]
    assert condition["ArnLike"]["AWS:SourceArn"] == MEDIA_ARN
    assert condition["StringEquals"]["AWS:SourceAccount"].isdigit()


def test_post_callback_removes_any_broad_s3_statement_and_flags_api_gateway(
    deployed,
):
    """A wildcard bucket or a "*" principal goes; an open API Gateway one is named."""
    client = deployed.zappa.lambda_client
    common = {"FunctionName": FUNCTION_NAME, "Action": "lambda:InvokeFunction"}
    client.add_permission(
        StatementId="wildcard-bucket",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::mediahub-*",
        **common,
    )
    client.add_permission(StatementId="anyone", Principal="*", **common)
    client.add_permission(
        StatementId="open-api", Principal="apigateway.amazonaws.com", **common
    )

    with pytest.raises(
        HOOKS.InvokePermissionError,
        match=r"statement open-api: add a condition ArnLike aws:SourceArn "
        r"arn:aws:execute-api:<region>:\d{12}:<api id>/\*",
    ):
        HOOKS.tighten_s3_trigger(deployed)

    sids = {s["Sid"] for s in _statements(deployed)}
    assert {"wildcard-bucket", "anyone", f"s3-{BUCKET}"}.isdisjoint(sids)
    assert "open-api" in sids
    assert len(_s3_statements(deployed)) == 1


def test_post_callback_says_so_when_s3_can_no_longer_invoke(deployed):
    """With only a weak S3 statement left, the callback removes it and says so."""
    client = deployed.zappa.lambda_client
    (sound,) = [s for s in _s3_statements(deployed) if s["Sid"] != f"s3-{BUCKET}"]
    client.remove_permission(FunctionName=FUNCTION_NAME, StatementId=sound["Sid"])

    with pytest.raises(
        HOOKS.InvokePermissionError,
        match=rf"S3 can no longer invoke {FUNCTION_NAME} for {re.escape(MEDIA_ARN)}: "
        r"add a permission with SourceArn .* and SourceAccount \d{12}",
    ):
        HOOKS.tighten_s3_trigger(deployed)

    assert _s3_statements(deployed) == []


@pytest.fixture
def failure_queue(deployed, moto_endpoint):
    """Make the stack's on-failure queue, by the name the template gives it."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="eu-west-1")
    url = sqs.create_queue(QueueName=f"{FUNCTION_NAME}-failed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    yield arn
    sqs.delete_queue(QueueUrl=url)


def test_template_and_callback_agree_on_the_queue_name():
    """The callback looks up the name infra/template.yaml gives the queue."""
    from tests.infra_policies import load_template

    queue = load_template()["Resources"]["FailureQueue"]["Properties"]
    assert queue["QueueName"] == {"Fn::Sub": "${FunctionName}-failed"}
    assert HOOKS.failure_queue_name(FUNCTION_NAME) == f"{FUNCTION_NAME}-failed"


def test_post_callback_sends_failed_invocations_to_the_queue(deployed, failure_queue):
    """After the stage's post callback, Lambda retries twice, keeps an event up
    to six hours, then sends its record to the stack's queue; S3's trigger is
    tightened in the same run."""
    client = deployed.zappa.lambda_client
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_event_invoke_config(FunctionName=FUNCTION_NAME)

    HOOKS.after_deploy(deployed)

    config = client.get_function_event_invoke_config(FunctionName=FUNCTION_NAME)
    assert config["MaximumRetryAttempts"] == 2
    assert config["MaximumEventAgeInSeconds"] == 21600
    assert config["DestinationConfig"]["OnFailure"] == {"Destination": failure_queue}
    assert len(_s3_statements(deployed)) == 1


def test_post_callback_without_the_stack_says_to_deploy_it_first(deployed):
    """No queue of that name: the deploy fails, naming the step that was missed."""
    client = deployed.zappa.lambda_client

    with pytest.raises(
        HOOKS.FailureDestinationError,
        match=rf"No queue {FUNCTION_NAME}-failed in account \d{{12}}: deploy "
        rf"infra/template.yaml with FunctionName={FUNCTION_NAME} before",
    ):
        HOOKS.set_failure_destination(deployed)

    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_event_invoke_config(FunctionName=FUNCTION_NAME)
