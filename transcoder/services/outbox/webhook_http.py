"""Webhook signatures (as Stripe signs) and one POST to a receiver, SSRF-safe.

``Mediahub-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
under the endpoint's secret; a receiver checks it with ``signature_verify``
(or the ten lines in docs/api.md) and refuses an old timestamp.

The URL is an editor's input: only http and https, no credentials in it, and
(unless MEDIAHUB_WEBHOOK_ALLOW_PRIVATE) no loopback, private, link-local or
otherwise non-global address, checked after DNS and then connected to as
checked, so a name that resolves again differently (DNS rebinding) cannot slip
through. No redirect is followed; the answer is read only as far as a short
excerpt.
"""

import hashlib
import hmac
import http.client
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

HEADER = "Mediahub-Signature"
EXCERPT = 200


class WebhookUrlError(ValidationError):
    """A webhook URL that mediahub will not send to."""


class SignatureError(ValueError):
    """A webhook signature that does not check out."""


def signature_header(secret, body, timestamp):
    """Return the ``Mediahub-Signature`` value for ``body`` (bytes) at ``timestamp``."""
    t = int(timestamp)
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256)
    return f"t={t},v1={mac.hexdigest()}"


def signature_verify(secret, header, body, *, tolerance=300, now=None):
    """Check a received signature; raise SignatureError, or return its time.

    Any ``v1`` of the header may match (a rotated secret sends two); the
    timestamp must be within ``tolerance`` seconds of ``now``, so a captured
    request cannot be replayed later.
    """
    parts = [p.partition("=") for p in (header or "").split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    macs = [v.strip() for k, _, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not macs:
        raise SignatureError("The signature header is malformed.")
    t = int(stamps[0])
    now = time.time() if now is None else now
    if abs(now - t) > tolerance:
        raise SignatureError("The signature's timestamp is too old (or too new).")
    expected = signature_header(secret, body, t).partition(",v1=")[2]
    if not any(hmac.compare_digest(expected, m) for m in macs):
        raise SignatureError("The signature does not match the body.")
    return t


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple


def url_check(url, *, allow_private, resolve=True):
    """Return where ``url`` may be sent to, or raise WebhookUrlError."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookUrlError("This is not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlError("A webhook URL must start with https:// or http://.")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlError("A webhook URL may not hold a user name or password.")
    if not parts.hostname:
        raise WebhookUrlError("A webhook URL needs a host name.")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    addresses = ()
    if resolve:
        try:
            found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise WebhookUrlError(
                f"The host {parts.hostname} could not be found."
            ) from None
        addresses = tuple(dict.fromkeys(info[4][0] for info in found))
        if not allow_private:
            for address in addresses:
                if not _public(address):
                    raise WebhookUrlError(
                        f"The host {parts.hostname} is a private, loopback or "
                        "link-local address; webhooks go to public hosts only "
                        "(MEDIAHUB_WEBHOOK_ALLOW_PRIVATE lets a developer's "
                        "machine receive them)."
                    )
    return Target(parts.scheme, parts.hostname, port, path, addresses)


def _public(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class Answer:
    status: int | None
    excerpt: str
    ms: int
    error: str = ""


def post(url, body, headers, *, timeout, allow_private):
    """POST ``body`` to ``url`` once; return an Answer (never raise for the
    receiver's faults: a refused URL, DNS, a time-out are errors too)."""
    started = time.monotonic()

    def answer(status=None, excerpt="", error=""):
        ms = round((time.monotonic() - started) * 1000)
        return Answer(status, excerpt, ms, error[:500])

    try:
        target = url_check(url, allow_private=allow_private)
    except WebhookUrlError as e:
        return answer(error=e.messages[0])
    kind = (
        http.client.HTTPSConnection
        if target.scheme == "https"
        else http.client.HTTPConnection
    )
    connection = kind(target.host, target.port, timeout=timeout)
    address = target.addresses[0]

    def pinned(addr, timeout=None, source_address=None, **kwargs):
        # Connect to the address that was checked, not to a second lookup.
        return socket.create_connection((address, addr[1]), timeout, source_address)

    connection._create_connection = pinned
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT).decode("utf-8", "replace")
        return answer(response.status, excerpt)
    except (OSError, http.client.HTTPException) as e:
        return answer(error=f"{type(e).__name__}: {e}")
    finally:
        connection.close()
