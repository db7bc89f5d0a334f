"""Storage configuration: the embedded default on local disk, production on private S3.

Both aliases use the same private bucket with disjoint prefixes: originals/
(staff only, never cached publicly) and renditions/ (immutable, delivered
through CloudFront signed URLs). Names reuse django-storages' own settings.
"""

import os


def local_storages(root):
    local = {
        "BACKEND": "transcoder.storage.backends.AtomicFileSystemStorage",
        "OPTIONS": {
            "location": root,
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }
    return {"default": local, "renditions": local}


def s3_storages(environ=os.environ):
    """Return the STORAGES aliases for S3, from django-storages' variable names."""
    common = {
        "bucket_name": environ["AWS_STORAGE_BUCKET_NAME"],
        "region_name": environ.get("AWS_S3_REGION_NAME") or None,
        "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
        "signature_version": "s3v4",
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
        # Credentials come from the standard AWS chain (Lambda role, env, profile).
    }
    key_id = environ.get("AWS_CLOUDFRONT_KEY_ID") or None
    key = environ.get("AWS_CLOUDFRONT_KEY") or None
    renditions = dict(common)
    if key_id and key:
        renditions |= {
            "custom_domain": environ["AWS_S3_CUSTOM_DOMAIN"],
            "cloudfront_key_id": key_id,
            "cloudfront_key": key.replace("\\n", "\n").encode(),
        }
    return {
        "default": {
            "BACKEND": "transcoder.storage.backends.OriginalS3Storage",
            "OPTIONS": common,
        },
        "renditions": {
            "BACKEND": "transcoder.storage.backends.RenditionS3Storage",
            "OPTIONS": renditions,
        },
    }
