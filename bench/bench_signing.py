"""Measure signing one API page in CloudFront mode: 50 assets x 19 renditions.

Run with ``python -m bench.bench_signing``. It signs the page's 950 URLs three
ways: django-storages' ``url()`` as before (a new expiry, so a new RSA
signature, every call), mediahub's window-aligned signer cold (first page of a
window) and warm (every later page in the window, memoized). The key is a
fresh 2048-bit RSA key; nothing leaves the machine.
"""

import uuid

from bench import django_setup, timing


def _environment():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    django_setup.configure(
        **{
            "MEDIAHUB_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "bench-media",
            "AWS_S3_REGION_NAME": "eu-west-1",
            "AWS_S3_CUSTOM_DOMAIN": "media.example.test",
            "AWS_CLOUDFRONT_KEY_ID": "KBENCH",
            "AWS_CLOUDFRONT_KEY": pem.replace("\n", "\\n"),
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
        }
    )


def _names(assets=50, per_asset=19):
    return [
        f"renditions/{uuid.uuid4()}/hero/{'0' * 16}-{w}.webp"
        for _ in range(assets)
        for w in range(100, 100 + per_asset)
    ]


def main():
    _environment()
    from django.core.files.storage import storages

    from transcoder.delivery import serving

    storage = storages["renditions"]
    assert storage.cloudfront_signer is not None
    names = _names()
    before = timing.median_ms(lambda: [storage.url(n, expire=3600) for n in names], 3)

    def cold():
        serving._SIGNED.clear()
        for n in names:
            serving.signed_url(n)

    cold_ms = timing.median_ms(cold, 3)
    for n in names:
        serving.signed_url(n)
    warm_ms = timing.median_ms(lambda: [serving.signed_url(n) for n in names], 20)
    print(f"URLs per page:                      {len(names)}")
    print(f"url() per call, as before:          {before:8.1f} ms")
    print(f"window signer, first page (cold):   {cold_ms:8.1f} ms")
    print(f"window signer, later pages (warm):  {warm_ms:8.1f} ms")
    print(f"warm / before:                      {warm_ms / before:8.4f}")


if __name__ == "__main__":
    main()
