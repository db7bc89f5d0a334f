"""The template's IAM policy documents, resolved into concrete JSON for scanners.

CloudFormation intrinsics are replaced with the values a stack in one example
account would give them, with the optional database and version erasure each
on or off.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::StackName": "mediahub",
}
PARAMETERS = {
    "BucketName": "mediahub-dev-media",
    "ConfigBucketName": "mediahub-dev-config",
    "FunctionName": "mediahub-dev",
    "RemoteEnvKey": "remote_env.json",
    "AlarmTopicArn": "",
}
# Physical ids of resources a policy refers to.
REFS = {
    "PrivateSubnetA": "subnet-0aaaaaaaaaaaaaaaa",
    "PrivateSubnetB": "subnet-0bbbbbbbbbbbbbbbb",
    "FunctionSecurityGroup": "sg-0ccccccccccccccccc",
    "DatabaseSecret": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-AbCdEf",
    "MediaBucket": "mediahub-dev-media",
    "ConfigBucket": "mediahub-dev-config",
    "AccessLogBucket": "mediahub-access-logs",
    "Distribution": "E2EXAMPLE0000",
    "FailureQueue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/mediahub-dev-failed",
}
ATTRIBUTES = {
    ("MediaBucket", "Arn"): "arn:aws:s3:::mediahub-dev-media",
    ("ConfigBucket", "Arn"): "arn:aws:s3:::mediahub-dev-config",
    ("AccessLogBucket", "Arn"): "arn:aws:s3:::mediahub-access-logs",
    ("FailureQueue", "Arn"): f"arn:aws:sqs:{REGION}:{ACCOUNT}:mediahub-dev-failed",
    ("FailureQueue", "QueueName"): "mediahub-dev-failed",
    ("LambdaRole", "Arn"): f"arn:aws:iam::{ACCOUNT}:role/mediahub-dev-lambda",
}
NO_VALUE = object()


def load_template():
    """Return the template parsed by cfn-lint's decoder (tags become Fn:: keys)."""
    from cfnlint.decode import decode

    parsed, errors = decode(str(TEMPLATE))
    assert not errors, errors
    return parsed


def resolve(node, conditions):
    """Return ``node`` with every intrinsic function replaced by its value."""
    if isinstance(node, list):
        items = [resolve(item, conditions) for item in node]
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((key, value),) = node.items()
        if key == "Ref":
            return _ref(value)
        if key == "Fn::Sub":
            return _sub(value)
        if key == "Fn::GetAtt":
            return ATTRIBUTES[tuple(value)]
        if key == "Fn::If":
            name, then, otherwise = value
            return resolve(then if conditions[name] else otherwise, conditions)
        if key == "Fn::Join":
            separator, parts = value
            return separator.join(resolve(parts, conditions))
    items = {k: resolve(v, conditions) for k, v in node.items()}
    return {k: v for k, v in items.items() if v is not NO_VALUE}


def _ref(name):
    if name == "AWS::NoValue":
        return NO_VALUE
    for table in (PSEUDO, PARAMETERS, REFS):
        if name in table:
            return table[name]
    raise KeyError(f"No example value for Ref {name}")


def _sub(value):
    text, extra = (value, {}) if isinstance(value, str) else value

    def replace(match):
        name = match.group(1)
        if name in extra:
            return extra[name]
        if "." in name:
            return ATTRIBUTES[tuple(name.split(".", 1))]
        return _ref(name)

    return re.sub(r"\$\{([^}!]+)\}", replace, text)


def conditions_of(template, *, with_database, with_erasure=None):
    """Return the value of each of the template's Conditions for these choices.

    ``with_erasure=None`` keeps AllowVersionErasure's default.
    """
    parameters = {
        name: str(spec.get("Default", ""))
        for name, spec in template["Parameters"].items()
    }
    parameters["CreateDatabase"] = "true" if with_database else "false"
    if with_erasure is not None:
        parameters["AllowVersionErasure"] = "true" if with_erasure else "false"
    return {
        name: _condition(node, parameters)
        for name, node in template["Conditions"].items()
    }


def _condition(node, parameters):
    ((key, value),) = node.items()
    if key == "Fn::Equals":
        left, right = (
            parameters[v["Ref"]] if isinstance(v, dict) else v for v in value
        )
        return left == right
    if key == "Fn::Not":
        return not _condition(value[0], parameters)
    raise KeyError(f"No evaluation for {key}")


def policy_documents(template, *, with_database, with_erasure=None):
    """Return ``{name: document}`` for every IAM and bucket policy in the stack.

    Identity policies are keyed ``Resource/PolicyName``, trust policies
    ``Resource/trust`` and bucket and queue policies ``Resource``. Conditions are
    evaluated from the template itself for the parameters chosen.
    """
    conditions = conditions_of(
        template, with_database=with_database, with_erasure=with_erasure
    )
    documents = {}
    for name, resource in template["Resources"].items():
        condition = resource.get("Condition")
        if condition and not conditions[condition]:
            continue
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents[f"{name}/trust"] = resolve(
                properties["AssumeRolePolicyDocument"], conditions
            )
            for policy in properties.get("Policies", []):
                documents[f"{name}/{policy['PolicyName']}"] = resolve(
                    policy["PolicyDocument"], conditions
                )
        elif resource["Type"] in ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy"):
            documents[name] = resolve(properties["PolicyDocument"], conditions)
    return documents
