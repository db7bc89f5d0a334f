"""Zappa CLI callbacks named in zappa_settings.json (``callbacks``).

They run on the deployer's machine after ``zappa deploy`` and ``zappa update``,
with the deployer's credentials; nothing here is packaged for Lambda.
"""

import json
import logging

logger = logging.getLogger(__name__)


def s3_trigger_statement_ids(policy, bucket_arns):
    """Return the ids of S3 statements in ``policy`` that lack ``SourceAccount``.

    A statement letting ``s3.amazonaws.com`` invoke the function for a bucket ARN
    with no ``aws:SourceAccount`` condition would also admit a bucket of the same
    name in another account, should this one ever be deleted and its name taken.
    """
    weak = []
    for statement in policy.get("Statement", []):
        principal = statement.get("Principal") or {}
        if not isinstance(principal, dict) or principal.get("Service") != (
            "s3.amazonaws.com"
        ):
            continue
        condition = statement.get("Condition") or {}
        source_arn = condition.get("ArnLike", {}).get("AWS:SourceArn")
        account = condition.get("StringEquals", {}).get("AWS:SourceAccount")
        if source_arn in bucket_arns and not account:
            weak.append(statement["Sid"])
    return weak


def tighten_s3_trigger(zappa_cli):
    """Drop the S3 invoke permission Zappa adds without ``SourceAccount``.

    For an S3 event source Zappa 0.63 adds two statements: one from
    ``create_event_permission`` with SourceArn and SourceAccount, and one
    (``s3-<bucket>``) from ``S3EventSource.add`` with SourceArn only. The
    first is all S3 needs; the second is removed here after every deploy and
    update. Raise if an S3 statement without SourceAccount is left.
    """
    client = zappa_cli.zappa.lambda_client
    name = zappa_cli.lambda_name
    bucket_arns = {
        event["event_source"]["arn"]
        for event in zappa_cli.stage_config.get("events", [])
        if event.get("event_source", {}).get("arn", "").startswith("arn:aws:s3:::")
    }
    if not bucket_arns:
        return []
    policy = json.loads(client.get_policy(FunctionName=name)["Policy"])
    weak = s3_trigger_statement_ids(policy, bucket_arns)
    for sid in weak:
        logger.info("Removing S3 permission %s (no SourceAccount) from %s", sid, name)
        client.remove_permission(FunctionName=name, StatementId=sid)
    policy = json.loads(client.get_policy(FunctionName=name)["Policy"])
    left = s3_trigger_statement_ids(policy, bucket_arns)
    if left:
        raise RuntimeError(f"S3 may still invoke {name} without SourceAccount: {left}")
    return weak
