"""Zappa CLI callbacks named in zappa_settings.json (``callbacks``).

They run on the deployer's machine after ``zappa deploy`` and ``zappa update``,
with the deployer's credentials; nothing here is packaged for Lambda. Zappa
loads this file on its own, so it imports the standard library only.
"""

import json
import logging
from fnmatch import fnmatchcase

logger = logging.getLogger(__name__)

S3 = "s3.amazonaws.com"
API_GATEWAY = "apigateway.amazonaws.com"
# Operators under which a condition pins a key to the values it lists. IfExists
# and ForAllValues variants are left out: they hold when the key is absent.
EXACT_OPERATORS = {"stringequals", "stringequalsignorecase", "arnequals"}
PATTERN_OPERATORS = {"stringlike", "arnlike"}


class InvokePermissionError(RuntimeError):
    """The function's resource policy lets a service invoke it too broadly."""


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _principals(statement):
    """Return the principals of a statement, lower-cased; ``*`` for anyone."""
    principal = statement.get("Principal")
    if principal == "*":
        return {"*"}
    if not isinstance(principal, dict):
        return set()
    found = set()
    for kind, values in principal.items():
        for value in _as_list(values):
            if value == "*":
                found.add("*")
            elif kind.lower() == "service":
                found.add(str(value).lower())
    return found


def _allows_invoke(statement):
    if str(statement.get("Effect", "")).lower() != "allow":
        return False
    if "NotAction" in statement:
        return True  # everything but some actions: invoke may well be in it
    return any(
        fnmatchcase("lambda:invokefunction", str(action).lower())
        for action in _as_list(statement.get("Action", []))
    )


def condition_values(statement, key):
    """Return ``(operator, values)`` for each condition on ``key`` (any case)."""
    found = []
    for operator, block in (statement.get("Condition") or {}).items():
        for name, values in (block or {}).items():
            if name.lower() == key.lower():
                found.append((operator.lower(), [str(v) for v in _as_list(values)]))
    return found


def pinned_values(statement, key):
    """Return each value list that a condition holds ``key`` to exactly.

    A pattern operator counts only when its values hold no wildcard; the
    conditions of one statement all apply, so any one pin binds the key.
    """
    pins = []
    for operator, values in condition_values(statement, key):
        if operator in EXACT_OPERATORS or (
            operator in PATTERN_OPERATORS
            and not any("*" in v or "?" in v for v in values)
        ):
            pins.append(values)
    return pins


def _source_account_problems(statement, account):
    if any(set(v) == {account} for v in pinned_values(statement, "aws:SourceAccount")):
        return []
    named = sorted(
        {v for _, vs in condition_values(statement, "aws:SourceAccount") for v in vs}
    )
    if named:
        return [
            f"its aws:SourceAccount condition {named} does not hold it to this "
            f"account; use StringEquals aws:SourceAccount {account}"
        ]
    return [f"add a condition StringEquals aws:SourceAccount {account}"]


def _bucket_problems(statement, bucket_arns):
    if any(set(v) <= bucket_arns for v in pinned_values(statement, "aws:SourceArn")):
        return []
    expected = " or ".join(sorted(bucket_arns)) or "the media bucket's ARN"
    named = sorted(
        {v for _, vs in condition_values(statement, "aws:SourceArn") for v in vs}
    )
    if named:
        return [
            f"its aws:SourceArn condition {named} is not exactly the media bucket; "
            f"use ArnLike aws:SourceArn {expected}, with no wildcard"
        ]
    return [f"add a condition ArnLike aws:SourceArn {expected}"]


def _names_own_api(arn, account):
    """Return whether ``arn`` is an execute-api ARN of one API of ``account``."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "execute-api" or parts[4] != account:
        return False
    api_id = parts[5].split("/", 1)[0]
    return bool(api_id) and not any(c in api_id for c in "*?")


def _api_problems(statement, account):
    for operator, values in condition_values(statement, "aws:SourceArn"):
        if operator in EXACT_OPERATORS | PATTERN_OPERATORS and all(
            _names_own_api(v, account) for v in values
        ):
            return []
    return [
        "add a condition ArnLike aws:SourceArn "
        f"arn:aws:execute-api:<region>:{account}:<api id>/* naming this "
        "account's API"
    ]


def statement_problems(statement, *, account, bucket_arns):
    """Return what to fix in one statement of the function's resource policy.

    A statement that lets S3 (or anyone) invoke the function must hold
    ``aws:SourceAccount`` to ``account`` and ``aws:SourceArn`` to exactly one
    of ``bucket_arns``: a bucket name is global, so without the account a
    bucket of the same name in another account could invoke the function once
    this one is deleted, and a wildcard admits other buckets. One that lets
    API Gateway invoke must name an API of this account. Operators and keys
    are matched regardless of case, as IAM does. An empty list means the
    statement is fine.
    """
    if not _allows_invoke(statement):
        return []
    principals = _principals(statement)
    problems = []
    if "NotPrincipal" in statement:
        problems.append("replace NotPrincipal with the one service that invokes")
    if principals & {S3, "*"} or "NotPrincipal" in statement:
        problems += _source_account_problems(statement, account)
        problems += _bucket_problems(statement, set(bucket_arns))
    if API_GATEWAY in principals:
        problems += _api_problems(statement, account)
    return problems


def weak_statements(policy, *, account, bucket_arns):
    """Return ``{sid: [what to fix, ...]}`` for each statement that is too broad."""
    weak = {}
    for index, statement in enumerate(policy.get("Statement", [])):
        problems = statement_problems(
            statement, account=account, bucket_arns=bucket_arns
        )
        if problems:
            weak[statement.get("Sid") or f"#{index}"] = problems
    return weak


def _policy(client, name):
    try:
        return json.loads(client.get_policy(FunctionName=name)["Policy"])
    except client.exceptions.ResourceNotFoundException:
        return {"Statement": []}


def _s3_can_invoke(policy, *, account, bucket_arn):
    """Return whether a sound statement still lets S3 invoke for ``bucket_arn``."""
    return any(
        _principals(s) & {S3, "*"}
        and not statement_problems(s, account=account, bucket_arns={bucket_arn})
        for s in policy.get("Statement", [])
        if _allows_invoke(s)
    )


def tighten_s3_trigger(zappa_cli):
    """Remove the function's too-broad S3 invoke permissions, then check the rest.

    For an S3 event source Zappa 0.63 adds two statements: one from
    ``create_event_permission`` with SourceArn and SourceAccount, and one
    (``s3-<bucket>``) from ``S3EventSource.add`` with SourceArn only. The
    first is all S3 needs. Every statement that lets S3 or anyone invoke
    without both conditions is removed here after every deploy and update.
    Raise ``InvokePermissionError`` saying what to fix if any too-broad
    statement is left (API Gateway's included) or S3 can no longer invoke
    for a bucket of the stage's events. Return the ids removed.
    """
    client = zappa_cli.zappa.lambda_client
    name = zappa_cli.lambda_name
    bucket_arns = {
        event["event_source"]["arn"]
        for event in zappa_cli.stage_config.get("events", [])
        if event.get("event_source", {}).get("arn", "").startswith("arn:aws:s3:::")
    }
    function_arn = client.get_function(FunctionName=name)["Configuration"][
        "FunctionArn"
    ]
    account = function_arn.split(":")[4]
    policy = _policy(client, name)
    removable = [
        s.get("Sid")
        for s in policy.get("Statement", [])
        if _principals(s) & {S3, "*"}
        and s.get("Sid")
        and statement_problems(s, account=account, bucket_arns=bucket_arns)
    ]
    for sid in removable:
        logger.info("Removing too-broad invoke permission %s from %s", sid, name)
        client.remove_permission(FunctionName=name, StatementId=sid)
    policy = _policy(client, name)
    problems = [
        f"statement {sid}: {'; '.join(fixes)}"
        for sid, fixes in weak_statements(
            policy, account=account, bucket_arns=bucket_arns
        ).items()
    ]
    problems += [
        f"S3 can no longer invoke {name} for {arn}: add a permission with "
        f"SourceArn {arn} and SourceAccount {account}"
        for arn in sorted(bucket_arns)
        if not _s3_can_invoke(policy, account=account, bucket_arn=arn)
    ]
    if problems:
        raise InvokePermissionError(
            f"The resource policy of {name} needs fixing: " + " | ".join(problems)
        )
    return removable


# Lambda's own limits for an async invocation: retries after the first try,
# and how long an event throttled or queued may wait (six hours, the most).
MAX_RETRIES = 2
MAX_EVENT_AGE = 6 * 3600


class FailureDestinationError(RuntimeError):
    """The function's failed async invocations would not reach the queue."""


def failure_queue_name(function_name):
    """Return the name infra/template.yaml gives the function's on-failure queue."""
    return f"{function_name}-failed"


def set_failure_destination(zappa_cli):
    """Send the function's failed async invocations to the stack's queue.

    S3's upload events and LambdaBackend's tasks reach the function as async
    invocations; without a destination Lambda drops one after its retries or
    past the maximum event age. The queue is the stack's (found by name, in
    the function's account), so the stack must be deployed first. Raise
    ``FailureDestinationError`` saying what to do if it is missing or the
    configuration did not hold. Return the queue's ARN.
    """
    client = zappa_cli.zappa.lambda_client
    name = zappa_cli.lambda_name
    function_arn = client.get_function(FunctionName=name)["Configuration"][
        "FunctionArn"
    ]
    account = function_arn.split(":")[4]
    sqs = zappa_cli.zappa.boto_session.client("sqs")
    queue = failure_queue_name(name)
    try:
        url = sqs.get_queue_url(QueueName=queue, QueueOwnerAWSAccountId=account)[
            "QueueUrl"
        ]
    except sqs.exceptions.QueueDoesNotExist:
        raise FailureDestinationError(
            f"No queue {queue} in account {account}: deploy infra/template.yaml "
            f"with FunctionName={name} before the function (docs/deployment.md)."
        ) from None
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    wanted = {
        "MaximumRetryAttempts": MAX_RETRIES,
        "MaximumEventAgeInSeconds": MAX_EVENT_AGE,
        "DestinationConfig": {"OnFailure": {"Destination": queue_arn}},
    }
    client.put_function_event_invoke_config(FunctionName=name, **wanted)
    config = client.get_function_event_invoke_config(FunctionName=name)
    found = {key: config.get(key) for key in wanted}
    found["DestinationConfig"] = {
        "OnFailure": (config.get("DestinationConfig") or {}).get("OnFailure")
    }
    if found != wanted:
        raise FailureDestinationError(
            f"The async invoke configuration of {name} is {found}, not {wanted}."
        )
    logger.info("Failed async invocations of %s go to %s", name, queue_arn)
    return queue_arn


def after_deploy(zappa_cli):
    """Run after ``zappa deploy`` and ``zappa update``: the stage's ``post`` callback.

    Zappa takes one function per callback, so this one runs both checks.
    """
    tighten_s3_trigger(zappa_cli)
    set_failure_destination(zappa_cli)
