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
    """uploads/ is emptied after a day; noncurrent versions do not pile up."""
    rules = resources["MediaBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    uploads = next(r for r in rules if r.get("Prefix") == "uploads/")
    assert uploads["ExpirationInDays"] == 1
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


def test_outputs_map_one_to_one_onto_environment_variables(template):
    """Each output's Description is the variable it feeds, each variable once."""
    names = sorted(o["Description"] for o in template["Outputs"].values())
    assert names == [
        "AWS_CLOUDFRONT_KEY_ID",
        "AWS_S3_CUSTOM_DOMAIN",
        "AWS_S3_REGION_NAME",
        "AWS_STORAGE_BUCKET_NAME",
    ]


def test_parameters_take_the_public_key_and_admin_origin(template):
    """The PEM public key and the admin origin come in as parameters."""
    assert {"CloudFrontPublicKeyPem", "AdminOrigin", "BucketName"} <= set(
        template["Parameters"]
    )
