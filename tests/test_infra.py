"""infra/template.yaml: cfn-lint clean, and the properties that matter."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"


@pytest.fixture(scope="module")
def template():
    from cfnlint.decode import decode

    parsed, errors = decode(str(TEMPLATE))
    assert not errors, errors
    return parsed


@pytest.fixture(scope="module")
def resources(template):
    return template["Resources"]


def test_template_passes_cfn_lint():
    """cfn-lint reports nothing, warnings included, in two regions."""
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(TEMPLATE, config=ManualArgs(regions=["eu-west-1", "us-east-1"]))

    assert [str(m) for m in matches] == []


def test_media_bucket_is_private_versioned_and_encrypted(resources):
    """No public access, no ACLs, versioning on, encryption at rest."""
    bucket = resources["MediaBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    rules = bucket["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (sse,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert resources["MediaBucket"]["DeletionPolicy"] == "Retain"


def test_abandoned_uploads_and_old_versions_expire(resources):
    """S3 empties uploads/ only as a backstop, after the on-failure queue has
    kept a dropped event for its whole retention (so a redrive still finds
    the file); noncurrent versions do not pile up."""
    rules = resources["MediaBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    uploads = next(r for r in rules if r.get("Prefix") == "uploads/")
    retention = resources["FailureQueue"]["Properties"]["MessageRetentionPeriod"]
    assert uploads["ExpirationInDays"] * 86400 > retention
    assert uploads["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1
    assert any(
        "NoncurrentVersionExpiration" in r and not r.get("Prefix") for r in rules
    )


def test_cors_allows_only_the_admins_direct_post(resources):
    """The browser may POST uploads from the admin origin, and nothing else."""
    (rule,) = resources["MediaBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["POST"]
    assert rule["AllowedOrigins"] == [{"Ref": "AdminOrigin"}]


def test_cloudfront_reads_renditions_only_through_oac(resources):
    """The bucket policy lets this distribution read renditions/*, nothing more."""
    statements = resources["MediaBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == {"Fn::Sub": "${MediaBucket.Arn}/renditions/*"}
    condition = json.dumps(allow["Condition"])
    assert "AWS:SourceArn" in condition and "${Distribution}" in condition
    oac = resources["OriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert oac["SigningBehavior"] == "always" and oac["SigningProtocol"] == "sigv4"


def test_distribution_needs_signed_urls_and_refuses_other_paths(resources):
    """Every behaviour trusts the key group; only renditions/* reaches the bucket."""
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == {
        "Fn::GetAtt": ["OriginAccessControl", "Id"]
    }
    (renditions,) = config["CacheBehaviors"]
    assert renditions["PathPattern"] == "renditions/*"
    default = config["DefaultCacheBehavior"]
    for behaviour in (renditions, default):
        assert behaviour["TrustedKeyGroups"] == [{"Ref": "SigningKeyGroup"}]
        assert behaviour["ViewerProtocolPolicy"] == "https-only"
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "ResponseHeadersPolicy"}
    (refuse,) = default["FunctionAssociations"]
    assert "RefuseOtherPaths" in json.dumps(refuse)
    key_group = resources["SigningKeyGroup"]["Properties"]["KeyGroupConfig"]
    assert key_group["Items"] == [{"Ref": "SigningPublicKey"}]
    key = resources["SigningPublicKey"]["Properties"]["PublicKeyConfig"]
    assert key["EncodedKey"] == {"Ref": "CloudFrontPublicKeyPem"}


def test_response_headers_policy_sets_nosniff_and_friends(resources):
    """Renditions are served with nosniff, HSTS, a referrer policy and DENY framing."""
    config = resources["ResponseHeadersPolicy"]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]["SecurityHeadersConfig"]
    assert config["ContentTypeOptions"]["Override"] is True
    assert config["FrameOptions"]["FrameOption"] == "DENY"
    assert config["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert "ReferrerPolicy" in config


def test_renditions_answer_cors_for_the_pixel_origins(resources, template):
    """<img crossorigin> and canvas reads work on CloudFront, without credentials."""
    cors = resources["ResponseHeadersPolicy"]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]["CorsConfig"]
    assert cors["AccessControlAllowOrigins"]["Items"] == {"Ref": "PixelOrigins"}
    assert cors["AccessControlAllowCredentials"] is False
    assert cors["AccessControlAllowMethods"]["Items"] == ["GET", "HEAD"]
    assert cors["OriginOverride"] is True
    # After the embed redirect from another domain the browser sends
    # "Origin: null": only "*" serves it, so that is the default.
    assert template["Parameters"]["PixelOrigins"]["Default"] == "*"


def test_outputs_map_one_to_one_onto_settings(template):
    """Each output's Description is the setting it feeds, each setting once."""
    names = sorted(o["Description"] for o in template["Outputs"].values())
    assert names == [
        "AWS_CLOUDFRONT_KEY_ID",
        "AWS_S3_CUSTOM_DOMAIN",
        "AWS_S3_REGION_NAME",
        "AWS_STORAGE_BUCKET_NAME",
        "DATABASE_URL host (RDS Proxy endpoint)",
        "DATABASE_URL user and password (Secrets Manager)",
        "MEDIAHUB_FAILURE_QUEUE_URL",
        "on-failure destination (the post callback finds the queue by name)",
        "role_arn",
        "vpc_config.SecurityGroupIds",
        "vpc_config.SubnetIds",
    ]


def test_parameters_take_the_public_key_and_admin_origin(template):
    """The PEM public key and the admin origin come in as parameters."""
    assert {"CloudFrontPublicKeyPem", "AdminOrigin", "BucketName"} <= set(
        template["Parameters"]
    )


def _role(with_database, with_erasure=None):
    from tests.infra_policies import load_template, policy_documents

    documents = policy_documents(
        load_template(), with_database=with_database, with_erasure=with_erasure
    )
    return {
        name.split("/", 1)[1]: doc
        for name, doc in documents.items()
        if name.startswith("LambdaRole/")
    }


def _grants(role):
    grants = set()
    for name, doc in role.items():
        if name == "trust":
            continue
        for statement in doc["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"]
            resources = statement["Resource"]
            for action in [actions] if isinstance(actions, str) else actions:
                for resource in (
                    [resources] if isinstance(resources, str) else (resources)
                ):
                    grants.add((action, resource))
    return grants


MEDIA = "arn:aws:s3:::mediahub-dev-media"
CONFIG = "arn:aws:s3:::mediahub-dev-config"
LOG_BUCKET = "arn:aws:s3:::mediahub-access-logs"
FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:mediahub-dev"
LOGS = (
    "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mediahub-dev"
    ":log-stream:*"
)
OBJECT_GRANTS = {
    (action, f"{MEDIA}/{prefix}/*")
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
    for prefix in ("originals", "renditions", "uploads", "widget")
}
QUEUE = "arn:aws:sqs:eu-west-1:123456789012:mediahub-dev-failed"
ROLE = "arn:aws:iam::123456789012:role/mediahub-dev-lambda"
QUEUE_GRANTS = {
    (action, QUEUE)
    for action in (
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
    )
}
ERASURE_GRANTS = {
    ("s3:DeleteObjectVersion", f"{MEDIA}/originals/*"),
    ("s3:DeleteObjectVersion", f"{MEDIA}/renditions/*"),
    ("s3:ListBucketVersions", MEDIA),
}


def test_role_grants_exactly_what_the_code_uses():
    """Named actions on the three prefixes, remote_env, itself and its logs."""
    assert (
        _grants(_role(False))
        == OBJECT_GRANTS
        | {
            ("s3:ListBucket", MEDIA),
            ("s3:GetObject", "arn:aws:s3:::mediahub-dev-config/remote_env.json"),
            ("lambda:InvokeFunction", FUNCTION),
            ("logs:CreateLogStream", LOGS),
            ("logs:PutLogEvents", LOGS),
        }
        | QUEUE_GRANTS
    )


def test_role_in_the_database_vpc_adds_network_interfaces_only():
    """With the database, only ENI actions are added; "*" only where AWS needs it."""
    added = _grants(_role(True)) - _grants(_role(False))

    assert {action for action, _ in added} == {
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
        "ec2:DescribeNetworkInterfaces",
    }
    assert {g for g in added if g[1] == "*"} == {("ec2:DescribeNetworkInterfaces", "*")}


def test_role_listing_stays_inside_the_media_prefixes():
    """A listing with a prefix must name one of the four; a HEAD carries none."""
    (listing,) = [
        s for s in _role(False)["media"]["Statement"] if s["Sid"] == "MediaListing"
    ]
    assert listing["Condition"] == {
        "StringLikeIfExists": {
            "s3:prefix": ["originals/*", "renditions/*", "uploads/*", "widget/*"]
        }
    }


@pytest.mark.parametrize("with_database", [False, True], ids=["no-db", "with-db"])
@pytest.mark.parametrize("with_erasure", [False, True], ids=["keep", "erase"])
def test_version_erasure_is_granted_only_when_the_parameter_is_on(
    with_database, with_erasure
):
    """DeleteObjectVersion and ListBucketVersions exist only with erasure on."""
    grants = _grants(_role(with_database, with_erasure))

    erasure = {g for g in grants if g[0] in {a for a, _ in ERASURE_GRANTS}}
    assert erasure == (ERASURE_GRANTS if with_erasure else set())
    assert grants - erasure == _grants(_role(with_database, not with_erasure)) - (
        ERASURE_GRANTS
    )


def test_version_erasure_is_off_by_default(template):
    """A stack deployed with the defaults cannot erase versions."""
    assert template["Parameters"]["AllowVersionErasure"]["Default"] == "false"
    assert not {g for g in _grants(_role(False)) if "Version" in g[0]}
    assert not {g for g in _grants(_role(True)) if "Version" in g[0]}


def test_listing_versions_for_erasure_stays_inside_originals_and_renditions():
    """With erasure on, versions may be listed under the two erasable prefixes only."""
    (listing,) = [
        s
        for s in _role(False, True)["media"]["Statement"]
        if s["Sid"] == "ListVersionsToErase"
    ]
    assert listing["Condition"] == {
        "StringLike": {"s3:prefix": ["originals/*", "renditions/*"]}
    }


def test_role_trusts_lambda_and_this_accounts_api_gateway_only():
    """Lambda runs it; API Gateway may assume it only for this account's APIs.

    Zappa 0.63's REST API (v1) integration calls the function with the role
    as its credentials and adds no resource-based permission, so the trust
    stays, conditioned on this account and its execute-api ARNs.
    """
    trust = _role(False)["trust"]
    by_service = {s["Principal"]["Service"]: s for s in trust["Statement"]}
    assert set(by_service) == {"lambda.amazonaws.com", "apigateway.amazonaws.com"}
    assert {s["Action"] for s in trust["Statement"]} == {"sts:AssumeRole"}
    assert "Condition" not in by_service["lambda.amazonaws.com"]
    assert by_service["apigateway.amazonaws.com"]["Condition"] == {
        "StringEqualsIfExists": {"aws:SourceAccount": "123456789012"},
        "ArnLikeIfExists": {
            "aws:SourceArn": "arn:aws:execute-api:eu-west-1:123456789012:*"
        },
    }


def test_every_bucket_refuses_plain_http(resources):
    """Each bucket, the remote_env one included, has a policy denying non-TLS."""
    from tests.infra_policies import load_template, policy_documents

    documents = policy_documents(load_template(), with_database=False)
    buckets = {n for n, r in resources.items() if r["Type"] == "AWS::S3::Bucket"}
    assert buckets == {"MediaBucket", "ConfigBucket", "AccessLogBucket"}
    policies = {
        resources[n]["Properties"]["Bucket"]["Ref"]: n
        for n, r in resources.items()
        if r["Type"] == "AWS::S3::BucketPolicy"
    }
    assert set(policies) == buckets
    for bucket, policy in policies.items():
        (deny,) = [s for s in documents[policy]["Statement"] if s["Effect"] == "Deny"]
        arn = {"MediaBucket": MEDIA, "ConfigBucket": CONFIG}.get(bucket, LOG_BUCKET)
        assert deny == {
            "Sid": "DenyPlainHttp",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }, bucket


def test_stages_use_the_stack_role_with_reserved_concurrency():
    """No stage lets Zappa make its own role; each names ours and caps concurrency."""
    config = json.loads((ROOT / "zappa_settings.json").read_text())
    for stage in ("dev", "prod"):
        merged = {**config.get(config[stage].get("extends"), {}), **config[stage]}
        assert merged["manage_roles"] is False
        assert merged["role_arn"] == (
            f"arn:aws:iam::ACCOUNT_ID:role/mediahub-{stage}-lambda"
        )
        assert isinstance(merged["lambda_concurrency"], int)
        assert 1 <= merged["lambda_concurrency"] <= 100
        assert merged["callbacks"]["post"] == "infra.zappa_hooks.after_deploy"
        scheduled = {
            e["function"]: e["expression"]
            for e in merged["events"]
            if "expression" in e
        }
        assert scheduled == {
            "transcoder.aws.scheduled.purge_orphans": "rate(1 hour)",
            "transcoder.aws.scheduled.sweep": "rate(15 minutes)",
            "transcoder.aws.scheduled.redrive": "rate(1 hour)",
            "transcoder.aws.scheduled.webhooks": "rate(1 minute)",
        }


def test_versioning_stays_and_old_versions_still_expire(resources):
    """Versioning guards against accidents; only opted-in erasure deletes versions."""
    bucket = resources["MediaBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    original = ("s3:DeleteObjectVersion", f"{MEDIA}/originals/*")
    assert original not in _grants(_role(False))
    assert original in _grants(_role(False, with_erasure=True))


def test_database_scales_to_zero_behind_a_proxy(resources):
    """Aurora Serverless v2 with MinCapacity 0, reached only through RDS Proxy."""
    cluster = resources["DatabaseCluster"]
    assert cluster["Condition"] == "WithDatabase"
    scaling = cluster["Properties"]["ServerlessV2ScalingConfiguration"]
    assert scaling["MinCapacity"] == 0
    assert cluster["Properties"]["StorageEncrypted"] is True
    assert "resolve:secretsmanager" in json.dumps(
        cluster["Properties"]["MasterUserPassword"]
    )
    proxy = resources["DatabaseProxy"]["Properties"]
    assert proxy["RequireTLS"] is True
    assert proxy["Auth"][0]["SecretArn"] == {"Ref": "DatabaseSecret"}
    ingress = resources["DatabaseSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [r["SourceSecurityGroupId"] for r in ingress] == [
        {"Ref": "ProxySecurityGroup"}
    ]
    endpoints = {
        resources[n]["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[-1]
        for n in resources
        if resources[n]["Type"] == "AWS::EC2::VPCEndpoint"
    }
    assert endpoints == {"s3", "lambda", "secretsmanager"}


def test_alarms_watch_failed_renditions_errors_and_throttles(resources):
    """One alarm on mediahub/RenditionsFailed, one on errors plus throttles."""
    failed = resources["RenditionsFailedAlarm"]["Properties"]
    assert (failed["Namespace"], failed["MetricName"]) == (
        "mediahub",
        "RenditionsFailed",
    )
    assert "Dimensions" not in failed
    metrics = resources["FunctionErrorsAlarm"]["Properties"]["Metrics"]
    names = {
        m["MetricStat"]["Metric"]["MetricName"] for m in metrics if "MetricStat" in m
    }
    assert names == {"Errors", "Throttles"}


def test_zappa_rest_api_needs_the_api_gateway_trust(monkeypatch, tmp_path):
    """Zappa 0.63 sets role_arn as each integration's credentials, no permission.

    Its REST API (v1) template makes API Gateway assume the function's role
    to invoke it, and adds no ``AWS::Lambda::Permission`` for API Gateway: the
    conditioned trust is what keeps the API working. Should a Zappa upgrade
    switch to a resource-based permission, this fails and the trust can go.
    """
    from zappa.cli import ZappaCLI

    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing"))
    cli = ZappaCLI()
    cli.api_stage = "dev"
    cli.load_settings(str(ROOT / "zappa_settings.json"))
    cli.zappa.create_stack_template(
        lambda_arn=FUNCTION,
        lambda_name="mediahub-dev",
        api_key_required=False,
        iam_authorization=False,
        authorizer=None,
        apigateway_version=cli.apigateway_version,
        stage_name="dev",
    )

    stack = json.loads(cli.zappa.cf_template.to_json())["Resources"]
    methods = [r for r in stack.values() if r["Type"] == "AWS::ApiGateway::Method"]
    assert cli.apigateway_version == "v1"
    assert methods
    assert {m["Properties"]["Integration"]["Credentials"] for m in methods} == {
        "arn:aws:iam::ACCOUNT_ID:role/mediahub-dev-lambda"
    }
    assert not [r for r in stack.values() if r["Type"] == "AWS::Lambda::Permission"]


def test_failed_invocations_wait_two_weeks_in_an_encrypted_queue(resources):
    """The on-failure queue keeps records 14 days, encrypted, past a replay's run."""
    queue = resources["FailureQueue"]["Properties"]
    assert queue["QueueName"] == {"Fn::Sub": "${FunctionName}-failed"}
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    # A failed replay is not received again within the same redrive run.
    assert queue["VisibilityTimeout"] > 300


def test_only_the_function_role_may_send_to_the_queue():
    """The queue policy lets the role send, denies every other sender and plain HTTP."""
    from tests.infra_policies import load_template, policy_documents

    policy = policy_documents(load_template(), with_database=False)[
        "FailureQueuePolicy"
    ]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == {
        "TheFunctionRecordsFailures",
        "NobodyElseSends",
        "DenyPlainHttp",
    }
    allow = by_sid["TheFunctionRecordsFailures"]
    assert (allow["Effect"], allow["Principal"], allow["Action"]) == (
        "Allow",
        {"AWS": ROLE},
        "sqs:SendMessage",
    )
    deny = by_sid["NobodyElseSends"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == (
        "Deny",
        "*",
        "sqs:SendMessage",
    )
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": ROLE}}
    assert by_sid["DenyPlainHttp"]["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    assert {s["Resource"] for s in policy["Statement"]} == {QUEUE}


def test_queue_alarms_fire_on_any_record_and_on_a_day_old_one(resources):
    """One alarm per waiting record, one when redrive has failed on one for a day."""
    alarms = {
        r["Properties"]["MetricName"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("Namespace") == "AWS/SQS"
    }
    assert set(alarms) == {
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
    }
    visible = alarms["ApproximateNumberOfMessagesVisible"]
    assert (visible["ComparisonOperator"], visible["Threshold"]) == (
        "GreaterThanThreshold",
        0,
    )
    assert alarms["ApproximateAgeOfOldestMessage"]["Threshold"] == 86400
    for alarm in alarms.values():
        assert alarm["Dimensions"] == [
            {
                "Name": "QueueName",
                "Value": {"Fn::GetAtt": ["FailureQueue", "QueueName"]},
            }
        ]
        assert (
            alarm["AlarmActions"]
            == resources["FunctionErrorsAlarm"]["Properties"]["AlarmActions"]
        )


def test_no_invoke_config_in_the_stack(resources):
    """Zappa makes the function after the stack: the post callback sets the
    destination (tests/test_zappa_hooks.py), not a resource that would fail."""
    assert not [
        r for r in resources.values() if r["Type"] == "AWS::Lambda::EventInvokeConfig"
    ]


def test_s3_does_its_own_clean_up_but_never_expires_media(resources):
    """Unfinished multipart uploads and bare delete markers go in every bucket;
    no rule expires a current original or rendition."""
    rules = resources["MediaBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (whole,) = [r for r in rules if not r.get("Prefix")]
    assert whole["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert whole["ExpiredObjectDeleteMarker"] is True
    assert "ExpirationInDays" not in whole
    assert {r.get("Prefix") for r in rules if "ExpirationInDays" in r} == {"uploads/"}
    for name in ("ConfigBucket", "AccessLogBucket"):
        (rule,) = resources[name]["Properties"]["LifecycleConfiguration"]["Rules"]
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
        assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 1


def test_the_zip_keeps_botocore_s_sqs_model():
    """Redrive runs on Lambda: the stages' exclude_glob keeps botocore's SQS data."""
    from fnmatch import fnmatchcase

    config = json.loads((ROOT / "zappa_settings.json").read_text())
    globs = config["dev"]["exclude_glob"]
    for service in ("sqs", "s3", "lambda", "sts"):
        path = f"botocore/data/{service}/"
        assert not [g for g in globs if fnmatchcase(path, g)], service
    assert [g for g in globs if fnmatchcase("botocore/data/ssm/", g)]
