"""S3 storage classes: private originals, immutable renditions."""

from storages.backends.s3 import S3Storage

from transcoder.delivery_headers import IMMUTABLE, MIME_BY_EXT


class OriginalS3Storage(S3Storage):
    """Originals: private, never overwritten, never cached publicly."""

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        params.setdefault("CacheControl", "private, no-store")
        return params


class RenditionS3Storage(S3Storage):
    """Renditions: immutable objects with an exact Content-Type and a year of caching."""

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        ext = name.rsplit(".", 1)[-1].lower()
        if ext in MIME_BY_EXT:
            params["ContentType"] = MIME_BY_EXT[ext]
        params["CacheControl"] = IMMUTABLE
        return params
