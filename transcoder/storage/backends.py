"""Storage classes: atomic local files; private originals, immutable renditions."""

import contextlib
import os
import secrets

from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

from transcoder.storage.headers import IMMUTABLE, MIME_BY_EXT


class OriginalS3Storage(S3Storage):
    """Originals: private, never overwritten, never cached publicly."""

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        params.setdefault("CacheControl", "private, no-store")
        return params


class RenditionS3Storage(S3Storage):
    """Renditions: immutable objects with an exact Content-Type, cached for a year."""

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        ext = name.rsplit(".", 1)[-1].lower()
        if ext in MIME_BY_EXT:
            params["ContentType"] = MIME_BY_EXT[ext]
        params["CacheControl"] = IMMUTABLE
        return params


class AtomicFileSystemStorage(FileSystemStorage):
    """Local storage that never shows a half-written file under its final name.

    Django writes in place, so a crash or a full disk mid-write would leave a
    partial original or rendition that later looks complete. Here the bytes go
    to a hidden temporary name first and are then linked under the final
    name, which fails rather than overwrites if another writer got there
    first. A temporary file left by a crash is an orphan that purge_orphans
    removes.
    """

    def _save(self, name, content):
        directory, base = os.path.split(name)
        partial = os.path.join(directory, f".{base}.{secrets.token_hex(8)}.part")
        try:
            partial = super()._save(partial, content)
            while True:
                try:
                    os.link(self.path(partial), self.path(name))
                except FileExistsError:
                    name = self.get_available_name(name)
                else:
                    return str(name).replace("\\", "/")
        finally:
            # Also after a failed write: the partial bytes never stay behind.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path(partial))
