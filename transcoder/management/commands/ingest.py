"""Bulk-import image files from disk, as when migrating an existing library."""

import json
import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from transcoder import delivery, services
from transcoder.conf import image_limits
from transcoder.models import Preset, RenditionStatus

logger = logging.getLogger(__name__)


class IngestRefusedError(Exception):
    """A file was stored but could not be transcoded; it is removed again."""


class Command(BaseCommand):
    help = "Import image files as assets and build their renditions."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print one JSON array."
        )
        parser.add_argument(
            "--preset",
            action="append",
            dest="presets",
            metavar="SLUG",
            help="Build only these presets (repeatable); default: every active one.",
        )

    def handle(self, *args, paths, as_json=False, presets=None, **options):
        preset_ids = None
        if presets:
            found = dict(
                Preset.objects.filter(slug__in=presets).values_list("slug", "pk")
            )
            missing = sorted(set(presets) - set(found))
            if missing:
                raise CommandError(f"Unknown preset: {', '.join(missing)}.")
            preset_ids = list(found.values())
        results = [self.ingest_one(Path(p), preset_ids) for p in paths]
        if as_json:
            self.stdout.write(json.dumps(results, indent=2))
        failed = [r for r in results if r["status"] != "ok"]
        if failed:
            raise SystemExit(1)

    def ingest_one(self, path, preset_ids):
        result = {
            "file": str(path),
            "status": "rejected",
            "error": None,
            "asset": None,
            "renditions": [],
        }
        asset = None
        try:
            content = _read_file(path, image_limits().max_bytes)
            # Built right here, in this process, so the result can be reported.
            asset = services.asset_create(
                content=content, filename=path.name, queue_renditions=False
            )
            rows = services.renditions_generate(
                asset_id=asset.pk, preset_ids=preset_ids
            )
            failed = [r for r in rows if r.status != RenditionStatus.READY]
            if failed:
                raise IngestRefusedError(
                    failed[0].error or "A rendition could not be built."
                )
        except Exception as e:
            # Whatever went wrong, this file is refused with a reason and
            # leaves nothing behind; the next file still gets its turn.
            result["error"] = _message(e)
            if not isinstance(e, OSError | services.AssetRefusedError):
                logger.warning("Refused %s: %r", path, e)
            if asset is not None:
                _remove(asset)
            self._line(path, f"refused: {result['error']}", error=True)
            return result
        result["asset"] = str(asset.pk)
        result["renditions"] = [
            {
                "preset": r.preset.slug,
                "format": r.format,
                "width": r.width,
                "height": r.height,
                "bytes": r.bytes,
                "name": r.name,
                "url": delivery.rendition_url(r),
            }
            for r in rows
            if r.status == RenditionStatus.READY
        ]
        result["status"] = "ok"
        self._line(path, f"ok {asset.pk} ({len(rows)} renditions)")
        return result

    def _line(self, path, text, error=False):
        if self._json_mode:
            return
        (self.stderr if error else self.stdout).write(f"{path}: {text}")

    def execute(self, *args, **options):
        self._json_mode = options.get("as_json", False)
        return super().execute(*args, **options)


def _read_file(path, limit):
    if not path.is_file():
        raise OSError(f"There is no file at {path}.")
    with path.open("rb") as f:
        return f.read(limit + 1)


def _remove(asset):
    """Delete a refused file's asset, original and renditions."""
    try:
        services.asset_delete(asset=asset)
    except Exception as e:
        # purge_orphans removes whatever a failed delete leaves behind.
        logger.warning("Could not remove asset %s: %r", asset.pk, e)


def _message(error):
    if isinstance(error, services.AssetRefusedError):
        return error.messages[0]
    if isinstance(error, FileNotFoundError | IsADirectoryError | PermissionError):
        return f"The file could not be read: {error.strerror}."
    if isinstance(error, OSError | IngestRefusedError):
        return str(error)
    if isinstance(error, MemoryError):
        return (
            "The image needs more memory than the server may use. "
            "Upload a smaller image."
        )
    return f"The image could not be transcoded ({type(error).__name__}: {error})."
