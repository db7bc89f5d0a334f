"""Webhook signatures (as Stripe signs) and the URLs webhooks may be sent to."""

import json

import pytest

from transcoder import services

# --- signatures ------------------------------------------------------------

SECRET = "whsec_test"


def test_signature_verifies_and_refuses_tampering_and_old_timestamps():
    body = json.dumps({"id": "evt_1"}).encode()
    header = services.outbox.webhook_http.signature_header(SECRET, body, 1_700_000_000)
    now = 1_700_000_100
    assert services.signature_verify(SECRET, header, body, now=now) == 1_700_000_000
    cases = [
        (SECRET, header, body + b" ", now, "does not match"),
        ("whsec_other", header, body, now, "does not match"),
        (SECRET, header.replace("t=1700000000", "t=1700000050"), body, now, "match"),
        (SECRET, header, body, 1_700_000_301, "too old"),
        (SECRET, "v1=abc", body, now, "malformed"),
        (SECRET, "", body, now, "malformed"),
    ]
    for secret, h, b, at, message in cases:
        with pytest.raises(services.SignatureError, match=message):
            services.signature_verify(secret, h, b, now=at)


# --- URLs an endpoint may have ---------------------------------------------

REFUSED_URLS = [
    ("ftp://example.com/x", "https:// or http://"),
    ("javascript:alert(1)", "https:// or http://"),
    ("https://user:pw@example.com/", "user name or password"),
    ("http:///nohost", "needs a host"),
    ("http://127.0.0.1:8000/", "private, loopback"),
    ("http://localhost/", "private, loopback"),
    ("http://169.254.169.254/latest/meta-data/", "private, loopback"),
    ("http://10.0.0.7/", "private, loopback"),
    ("http://[::1]/", "private, loopback"),
    ("http://[::ffff:127.0.0.1]/", "private, loopback"),
    ("http://0.0.0.0/", "private, loopback"),
]


@pytest.mark.parametrize(("url", "message"), REFUSED_URLS)
def test_urls_refused_in_production(url, message, settings):
    settings.MEDIAHUB_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(services.WebhookUrlError, match=message):
        services.outbox.webhooks.webhook_url_check(url)


def test_the_receivers_example_in_the_docs_agrees():
    """The verify function docs/api.md gives receivers accepts what mediahub
    signs and refuses a changed body, another secret and an old timestamp."""
    import re
    import time
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
    webhooks = text[text.index("## Webhooks") :]
    example = {}
    exec(re.search(r"```python\n(.*?)```", webhooks, re.S).group(1), example)  # noqa: S102
    verify, sign = example["verify"], services.outbox.webhook_http.signature_header
    body = b'{"id":"evt_1"}'
    header = sign(SECRET, body, time.time())
    assert verify(SECRET, header, body)
    assert not verify(SECRET, header, body + b" ")
    assert not verify("whsec_other", header, body)
    assert not verify(SECRET, sign(SECRET, body, time.time() - 400), body)
