"""Run parliament on IAM policy documents; meant for the scanners' venv.

Usage: .venv-scan/bin/python infra/scan_policies.py < policies.json

Reads a JSON object ``{name: policy document}`` from stdin and prints a JSON
object ``{name: [finding, ...]}``, each finding with its issue, severity and
location. The documents must be concrete (no CloudFormation intrinsics).
"""

import json
import sys

from parliament import analyze_policy_string


def findings(document):
    """Return parliament's findings for one policy document, as plain dicts."""
    policy = analyze_policy_string(
        json.dumps(document), include_community_auditors=True
    )
    return [
        {"issue": f.issue, "severity": f.severity, "location": str(f.location)}
        for f in policy.findings
    ]


def main():
    policies = json.load(sys.stdin)
    json.dump({name: findings(doc) for name, doc in policies.items()}, sys.stdout)


if __name__ == "__main__":
    main()
