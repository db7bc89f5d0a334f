"""The template's role, deployed through moto's CloudFormation server.

moto's CloudFormation has no CloudFront, RDS Proxy or Serverless v2 resources,
so the stack deployed here is the template's own Parameters, Conditions, the
execution role, its log group and the role output, copied unchanged.
"""

import ast
import json
import uuid

import pytest

from tests.infra_policies import load_template, policy_documents

PARAMETERS = {
    "BucketName": "mediahub-dev-media",
    "ConfigBucketName": "mediahub-dev-config",
    "CloudFrontPublicKeyPem": "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----",
    "AdminOrigin": "https://admin.example",
}


def _document(value):
    """Return a policy document as moto's IAM answers it (JSON or a dict repr)."""
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return ast.literal_eval(value)


@pytest.fixture(params=[False, True], ids=["keep-versions", "erase-versions"])
def role_stack(request, moto_endpoint):
    """Deploy the role part of the template to moto; return (iam, stack, erasure)."""
    import boto3

    erasure = request.param

    template = load_template()
    role_part = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": template["Parameters"],
        "Conditions": template["Conditions"],
        "Resources": {
            name: template["Resources"][name]
            for name in ("LambdaRole", "FunctionLogGroup", "FailureQueue")
        },
        "Outputs": {"RoleArn": template["Outputs"]["RoleArn"]},
    }
    cfn = boto3.client("cloudformation", endpoint_url=moto_endpoint)
    name = f"mediahub-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(role_part),
        Parameters=[
            {"ParameterKey": k, "ParameterValue": v}
            for k, v in {
                **PARAMETERS,
                "AllowVersionErasure": "true" if erasure else "false",
            }.items()
        ],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    (stack,) = cfn.describe_stacks(StackName=name)["Stacks"]
    yield boto3.client("iam", endpoint_url=moto_endpoint), stack, erasure
    cfn.delete_stack(StackName=name)
    # The log group is retained on purpose; the next stack makes it again.
    logs = boto3.client("logs", endpoint_url=moto_endpoint)
    logs.delete_log_group(logGroupName="/aws/lambda/mediahub-dev")


def test_moto_creates_the_role_the_template_describes(role_stack):
    """The created role's policies equal the template's, resolved independently.

    moto evaluates the AllowVersionErasure Condition itself, so this also
    checks that DeleteObjectVersion comes and goes with the parameter.
    """
    iam, stack, erasure = role_stack
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    (output,) = stack["Outputs"]
    assert output["OutputValue"].endswith(":role/mediahub-dev-lambda")
    expected = policy_documents(
        load_template(), with_database=False, with_erasure=erasure
    )

    names = iam.list_role_policies(RoleName="mediahub-dev-lambda")["PolicyNames"]
    created = {}
    for policy in names:
        document = _document(
            iam.get_role_policy(RoleName="mediahub-dev-lambda", PolicyName=policy)[
                "PolicyDocument"
            ]
        )
        # moto 5.2 keeps Fn::If -> AWS::NoValue in a list as None; AWS drops it.
        document["Statement"] = [s for s in document["Statement"] if s is not None]
        created[f"LambdaRole/{policy}"] = document

    assert sorted(names) == ["media", "runtime"]
    assert created == {k: v for k, v in expected.items() if k in created}
    actions = json.dumps(created["LambdaRole/media"])
    assert ("s3:DeleteObjectVersion" in actions) is erasure
    assert ("s3:ListBucketVersions" in actions) is erasure
    role = iam.get_role(RoleName="mediahub-dev-lambda")["Role"]
    trust = _document(role["AssumeRolePolicyDocument"])
    assert trust == expected["LambdaRole/trust"]
