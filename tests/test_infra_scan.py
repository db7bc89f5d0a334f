"""infra/template.yaml under checkov and parliament, run from their own venv.

`make install` builds ``.venv-scan`` (requirements/scan.txt): checkov pins
boto3 and packaging far below the app's, and parliament needs pkg_resources.
Both run offline.
"""

import json
import os
import subprocess

import pytest

from tests.infra_policies import ROOT, TEMPLATE, load_template, policy_documents

SCAN_PYTHON = ROOT / ".venv-scan" / "bin" / "python"
CHECKOV = ROOT / ".venv-scan" / "bin" / "checkov"

pytestmark = pytest.mark.skipif(
    not SCAN_PYTHON.exists() and not os.environ.get("CI"),
    reason="No .venv-scan: run `make install` (CI fails instead of skipping).",
)


def _checkov(path):
    env = {
        **os.environ,
        "BC_SKIP_MAPPING": "TRUE",
        "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
        "LOG_LEVEL": "ERROR",
    }
    result = subprocess.run(
        [
            str(CHECKOV),
            "--file",
            str(path),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)
    return report["summary"], report["results"]


def _with_options_on_by_default(tmp_path):
    """Return a copy of the template whose database and erasure default to on.

    checkov leaves out resources and statements whose Condition is false under
    the defaults.
    """
    text = TEMPLATE.read_text()
    for parameter in ("CreateDatabase", "AllowVersionErasure"):
        old = f'{parameter}:\n    Type: String\n    Default: "false"'
        assert old in text
        text = text.replace(old, old.replace('"false"', '"true"'))
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "options_on", [False, True], ids=["defaults", "with-db-and-erasure"]
)
def test_checkov_finds_no_failure(tmp_path, options_on):
    """Every checkov check passes, or is skipped in the template with a reason."""
    database = options_on
    path = _with_options_on_by_default(tmp_path) if options_on else TEMPLATE

    summary, results = _checkov(path)

    failed = [(c["check_id"], c["resource"]) for c in results.get("failed_checks", [])]
    assert failed == []
    assert summary["parsing_errors"] == 0
    assert summary["passed"] >= (60 if database else 30)
    skipped = {c["check_id"] for c in results.get("skipped_checks", [])}
    assert {"CKV_AWS_68", "CKV_AWS_174"} <= skipped


def test_every_checkov_skip_gives_its_reason():
    """Each inline skip names a check and says why, beside it in the template."""
    skips = [
        (name, skip)
        for name, resource in load_template()["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for name, skip in skips:
        assert skip["id"].startswith("CKV"), name
        assert len(skip.get("comment", "")) > 40, (name, skip)


def _parliament(documents):
    result = subprocess.run(
        [str(SCAN_PYTHON), str(ROOT / "infra" / "scan_policies.py")],
        input=json.dumps(documents),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("erasure", [False, True], ids=["keep", "erase"])
@pytest.mark.parametrize("database", [False, True], ids=["no-db", "with-db"])
def test_parliament_finds_nothing_in_the_policies(database, erasure):
    """Identity and bucket policies, resolved for one account, have no finding.

    Trust policies are left out: parliament 1.6 reads every statement as an
    identity policy and calls one without a Resource malformed.
    """
    documents = {
        name: doc
        for name, doc in policy_documents(
            load_template(), with_database=database, with_erasure=erasure
        ).items()
        if not name.endswith("/trust")
    }
    assert {
        "LambdaRole/media",
        "LambdaRole/runtime",
        "MediaBucketPolicy",
        "ConfigBucketPolicy",
        "AccessLogBucketPolicy",
    } <= set(documents)
    assert ("s3:DeleteObjectVersion" in json.dumps(documents)) is erasure

    assert _parliament(documents) == {name: [] for name in documents}


def test_parliament_would_catch_a_wildcard_and_a_typo():
    """Control: parliament flags Resource "*" and an unknown action."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "s3:GetObjectt",
                "Resource": "arn:aws:s3:::b/*",
            },
        ],
    }

    (findings,) = _parliament({"bad": document}).values()

    assert {f["issue"] for f in findings} == {"RESOURCE_STAR", "UNKNOWN_ACTION"}
