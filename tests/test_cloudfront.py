"""CloudFront signed URLs: verified independently with the public key, and the
app's signer path checked against AWS's cross-SDK vectors."""

import base64
import json
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.core.files.storage import storages
from django.core.management import call_command
from django.utils.module_loading import import_string

from mediahub.storages import s3_storages
from tests.conftest import ORIENTATION_PHOTOS, TESTDATA
from transcoder import services
from transcoder.delivery import serving
from transcoder.storage.headers import IMMUTABLE, MIME_BY_EXT

DOMAIN = "media.example.test"
VECTORS = TESTDATA / "cloudfront"
SIGNED_PARAMS = ("Expires", "Signature", "Key-Pair-Id", "Policy")


class URLVerificationError(Exception):
    """The URL would be refused by CloudFront."""


def _b64decode(text):
    """Undo CloudFront's URL-safe base64 (``+=/`` written as ``-_~``)."""
    return base64.b64decode(text.translate(str.maketrans("-_~", "+=/")))


def verify_canned_url(url, public_key, *, now=None):
    """Check a canned-policy URL like CloudFront does; return its expiry time."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    signed = dict(p for p in query if p[0] in SIGNED_PARAMS)
    if set(signed) != {"Expires", "Signature", "Key-Pair-Id"}:
        raise URLVerificationError(f"Not a canned-policy URL: {sorted(signed)}")
    rest = [p for p in query if p[0] not in SIGNED_PARAMS]
    resource = urlunsplit(parts._replace(query=urlencode(rest), fragment=""))
    if not signed["Expires"].isdigit():
        raise URLVerificationError("Expires is not a number.")
    expires = int(signed["Expires"])
    policy = json.dumps(
        {
            "Statement": [
                {
                    "Resource": resource,
                    "Condition": {"DateLessThan": {"AWS:EpochTime": expires}},
                }
            ]
        },
        separators=(",", ":"),
    )
    try:
        public_key.verify(
            _b64decode(signed["Signature"]),
            policy.encode(),
            padding.PKCS1v15(),
            hashes.SHA1(),  # noqa: S303 - CloudFront's canned policy is RSA-SHA1.
        )
    except (InvalidSignature, ValueError) as e:
        raise URLVerificationError("Bad signature.") from e
    if expires <= (time.time() if now is None else now):
        raise URLVerificationError("The URL has expired.")
    return expires


@pytest.fixture
def signed_rendition(s3_cloudfront, settings, presets, jpeg, commit):
    settings.MEDIAHUB_URL_TTL = 900
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    return asset.renditions.get(preset__slug="thumb", format="webp")


def _replace(url, **params):
    parts = urlsplit(url)
    query = [(k, params.get(k, v)) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


pytestmark = pytest.mark.s3


@pytest.mark.django_db
def test_rendition_url_is_a_canned_cloudfront_url_that_verifies(
    s3_cloudfront, signed_rendition
):
    """The URL is on the CloudFront domain, verifies, and expires on a window
    boundary at least the TTL and at most TTL + one window ahead."""
    before = time.time()
    url = serving.rendition_url(signed_rendition)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", DOMAIN)
    assert parts.path == f"/{signed_rendition.name}"
    assert dict(parse_qsl(parts.query))["Key-Pair-Id"] == s3_cloudfront.key.key_id
    expires = verify_canned_url(url, s3_cloudfront.key.public_key)
    assert expires % 900 == 0
    assert before + 900 <= expires <= time.time() + 900 + 900


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda u: u.replace("/thumb/", "/card/"), id="path"),
        pytest.param(lambda u: u.replace(".webp?", ".jpg?"), id="extension"),
        pytest.param(lambda u: u.replace(DOMAIN, "evil.example.test"), id="domain"),
        pytest.param(
            lambda u: _replace(u, Expires=str(int(dict(_q(u))["Expires"]) + 1)),
            id="expires",
        ),
        pytest.param(
            lambda u: _replace(u, Signature=_flip(dict(_q(u))["Signature"])),
            id="signature",
        ),
        pytest.param(lambda u: _replace(u, Signature=""), id="empty-signature"),
    ],
)
def test_tampered_url_does_not_verify(s3_cloudfront, signed_rendition, tamper):
    """Any change to the path, host, expiry or signature breaks the signature."""
    url = serving.rendition_url(signed_rendition)
    verify_canned_url(url, s3_cloudfront.key.public_key)
    with pytest.raises(URLVerificationError, match="signature"):
        verify_canned_url(tamper(url), s3_cloudfront.key.public_key)


def _q(url):
    return parse_qsl(urlsplit(url).query)


def _flip(signature):
    return ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))


@pytest.mark.django_db
def test_url_signed_by_another_key_does_not_verify(
    s3_cloudfront, signed_rendition, cloudfront_key
):
    """A URL verifies only with the public key of the key pair that signed it."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    url = serving.rendition_url(signed_rendition)
    with pytest.raises(URLVerificationError, match="signature"):
        verify_canned_url(url, other.public_key())


@pytest.mark.django_db
def test_expired_url_is_refused(s3_cloudfront, signed_rendition, settings):
    """Past its expiry a URL no longer passes, though its signature is intact."""
    url = serving.rendition_url(signed_rendition)
    expires = verify_canned_url(url, s3_cloudfront.key.public_key)
    with pytest.raises(URLVerificationError, match="expired"):
        verify_canned_url(url, s3_cloudfront.key.public_key, now=expires)


@pytest.mark.django_db
def test_embed_link_redirects_to_a_fresh_cloudfront_url(
    s3_cloudfront, signed_rendition, client
):
    """The stable embed link answers with a CloudFront URL that verifies."""
    asset_id = signed_rendition.asset_id
    response = client.get(f"/e/{asset_id}/thumb/?format=webp")
    assert response.status_code == 302
    location = response["Location"]
    assert urlsplit(location).netloc == DOMAIN
    verify_canned_url(location, s3_cloudfront.key.public_key)


@pytest.mark.django_db
def test_originals_never_go_through_cloudfront(
    s3_cloudfront, signed_rendition, admin_client
):
    """Even with CloudFront configured, staff get originals via a short S3 URL."""
    asset = signed_rendition.asset
    response = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/original/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == s3_cloudfront.endpoint
    assert dict(parse_qsl(location.query))["X-Amz-Expires"] == "60"
    assert storages["default"].cloudfront_signer is None


@pytest.mark.django_db
def test_ingest_json_urls_verify_and_objects_carry_the_headers(
    s3_cloudfront, settings, presets, capsys, commit
):
    """`ingest --json` of real photos: every URL verifies, every object is there."""
    settings.MEDIAHUB_URL_TTL = 600
    with commit():
        call_command("ingest", "--json", *map(str, ORIENTATION_PHOTOS[5:7]))
    results = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in results] == ["ok", "ok"]
    renditions = [r for result in results for r in result["renditions"]]
    assert len(renditions) == 6
    for rendition in renditions:
        assert urlsplit(rendition["url"]).netloc == DOMAIN
        expires = verify_canned_url(rendition["url"], s3_cloudfront.key.public_key)
        assert time.time() + 600 - 60 <= expires <= time.time() + 1200
        head = s3_cloudfront.client.head_object(
            Bucket=s3_cloudfront.bucket, Key=rendition["name"]
        )
        assert head["ContentType"] == MIME_BY_EXT[rendition["name"].rsplit(".")[-1]]
        assert head["CacheControl"] == IMMUTABLE


@pytest.mark.django_db
def test_cloudfront_urls_are_identical_within_a_window(
    s3_cloudfront, signed_rendition, settings
):
    """Renders 2 s (and 899 s) apart in one window give the same signed URL."""
    settings.MEDIAHUB_URL_TTL = 900
    start = 1_800_000_000 - 1_800_000_000 % 900
    first = serving.rendition_url(signed_rendition, now=start + 1)
    assert serving.rendition_url(signed_rendition, now=start + 3) == first
    assert serving.rendition_url(signed_rendition, now=start + 899.9) == first
    later = serving.rendition_url(signed_rendition, now=start + 900.1)
    assert later != first
    key = s3_cloudfront.key.public_key
    assert verify_canned_url(later, key, now=start + 900.1) == start + 2700


@pytest.mark.django_db
def test_cloudfront_url_minted_at_the_end_of_a_window_verifies_a_ttl_later(
    s3_cloudfront, signed_rendition, settings
):
    """Minted just before a boundary, the URL verifies with the public key a full
    MEDIAHUB_URL_TTL later, and no longer once its expiry has passed."""
    settings.MEDIAHUB_URL_TTL = 900
    minted_at = (time.time() // 900 + 1) * 900 - 0.001
    url = serving.rendition_url(signed_rendition, now=minted_at)
    key = s3_cloudfront.key.public_key
    expires = verify_canned_url(url, key, now=minted_at + 900)
    assert expires == minted_at + 0.001 + 900
    with pytest.raises(URLVerificationError, match="expired"):
        verify_canned_url(url, key, now=expires)


@pytest.mark.django_db
def test_cloudfront_signatures_are_memoized_per_window(
    s3_cloudfront, signed_rendition, settings, monkeypatch
):
    """A second page of the same renditions in a window signs nothing again."""
    settings.MEDIAHUB_URL_TTL = 900
    signer = storages["renditions"].cloudfront_signer
    calls = []
    original = signer.generate_presigned_url

    def counting(url, **kwargs):
        calls.append(url)
        return original(url, **kwargs)

    monkeypatch.setattr(signer, "generate_presigned_url", counting)
    rows = list(signed_rendition.asset.renditions.all())
    # A pinned clock: two renders a second apart never straddle a window edge.
    now = 1_800_000_000 - 1_800_000_000 % 900 + 100
    first = [serving.rendition_url(r, now=now) for r in rows]
    assert len(calls) == len(rows) == 3
    assert [serving.rendition_url(r, now=now + 1) for r in rows] == first
    assert len(calls) == 3
    for url in first:
        verify_canned_url(url, s3_cloudfront.key.public_key, now=now + 1)


# --- AWS's cross-SDK vectors, through the signer the app builds -----------------


def _sha1_url_cases():
    cases = json.loads((VECTORS / "sign-test-cases.json").read_text())
    return [
        pytest.param(c, id=c["id"])
        for c in cases
        if c["expected"].get("signatureAlgorithm") == "RSA-SHA1"
        and "queryParams" in c["expected"]
    ]


SHA1_URL_CASES = _sha1_url_cases()


def _app_signer(case):
    """Build the renditions storage the way settings do, with the vector's key."""
    options = s3_storages(
        {
            "AWS_STORAGE_BUCKET_NAME": "media",
            "AWS_S3_REGION_NAME": "eu-west-1",
            "AWS_S3_CUSTOM_DOMAIN": urlsplit(case["input"]["resource"]).netloc,
            "AWS_CLOUDFRONT_KEY_ID": case["input"]["keyPairId"],
            "AWS_CLOUDFRONT_KEY": (
                VECTORS / case["input"]["privateKeyFile"]
            ).read_text(),
        }
    )["renditions"]
    storage = import_string(options["BACKEND"])(**options["OPTIONS"])
    return storage.cloudfront_signer


def test_the_six_sha1_url_vectors_are_all_found():
    """The vector file holds the six SHA-1 URL cases botocore reproduces."""
    assert len(SHA1_URL_CASES) == 6


@pytest.mark.parametrize("case", SHA1_URL_CASES)
def test_app_signer_reproduces_the_cross_sdk_vectors(case):
    """The app's signer yields each SHA-1 vector's query parameters byte for byte."""
    given, expected = case["input"], case["expected"]
    signer = _app_signer(case)
    expires = datetime.fromtimestamp(given["expirationDate"], UTC)
    canned = "activeDate" not in given and "ipRange" not in given
    canned = canned and "*" not in given["resource"]
    if canned:
        url = signer.generate_presigned_url(given["resource"], date_less_than=expires)
    else:
        policy = signer.build_policy(
            given["resource"],
            expires,
            date_greater_than=(
                datetime.fromtimestamp(given["activeDate"], UTC)
                if "activeDate" in given
                else None
            ),
            ip_address=given.get("ipRange"),
        )
        assert policy == expected["policyJson"]
        url = signer.generate_presigned_url(
            expected.get("applyTo", given["resource"]), policy=policy
        )
    params = dict(parse_qsl(urlsplit(url).query))
    assert params.pop("Signature") == expected["signature"]
    if not canned:
        assert _b64decode(params.pop("Policy")).decode() == expected["policyJson"]
    assert params == expected["queryParams"]


@pytest.mark.parametrize("case", SHA1_URL_CASES)
def test_vector_signatures_verify_with_the_published_public_key(case):
    """Each vector's signature verifies over its policy with the fixed public key."""
    public_key = serialization.load_pem_public_key(
        (VECTORS / "test-rsa-key-public.pem").read_bytes()
    )
    public_key.verify(
        _b64decode(case["expected"]["signature"]),
        case["expected"]["policyJson"].encode(),
        padding.PKCS1v15(),
        hashes.SHA1(),  # noqa: S303
    )


def test_canned_vector_url_passes_the_independent_verifier():
    """The verifier used above accepts the canned vector's URL as AWS signed it."""
    case = next(
        c.values[0] for c in SHA1_URL_CASES if c.id == "canned-policy-url-basic"
    )
    url = _app_signer(case).generate_presigned_url(
        case["input"]["resource"],
        date_less_than=datetime.fromtimestamp(case["input"]["expirationDate"], UTC),
    )
    public_key = serialization.load_pem_public_key(
        (VECTORS / "test-rsa-key-public.pem").read_bytes()
    )
    now = case["input"]["expirationDate"] - 1
    assert verify_canned_url(url, public_key, now=now) == now + 1


def test_pem_with_escaped_newlines_signs_the_same():
    """A key pasted into one env line with literal \\n still signs like AWS's."""
    case = next(
        c.values[0] for c in SHA1_URL_CASES if c.id == "canned-policy-url-basic"
    )
    pem = (VECTORS / case["input"]["privateKeyFile"]).read_text()
    options = s3_storages(
        {
            "AWS_STORAGE_BUCKET_NAME": "media",
            "AWS_S3_CUSTOM_DOMAIN": DOMAIN,
            "AWS_CLOUDFRONT_KEY_ID": "K1TESTKEY",
            "AWS_CLOUDFRONT_KEY": pem.strip().replace("\n", "\\n"),
        }
    )["renditions"]
    signer = import_string(options["BACKEND"])(**options["OPTIONS"]).cloudfront_signer
    url = signer.generate_presigned_url(
        case["input"]["resource"],
        date_less_than=datetime.fromtimestamp(case["input"]["expirationDate"], UTC),
    )
    assert (
        dict(parse_qsl(urlsplit(url).query))["Signature"]
        == (case["expected"]["signature"])
    )
