"""Bulk-import image files from disk, as when migrating an existing library."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from transcoder import delivery, services
from transcoder.conf import image_limits
from transcoder.models import Preset, RenditionStatus


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
        try:
            content = _read_file(path, image_limits().max_bytes)
            asset = services.asset_create(
                content=content, filename=path.name, preset_ids=preset_ids
            )
        except (OSError, services.AssetRefusedError) as e:
            result["error"] = _message(e)
            self._line(path, f"refused: {result['error']}", error=True)
            return result
        rows = services.renditions_generate(asset_id=asset.pk, preset_ids=preset_ids)
        failed = [r for r in rows if r.status != RenditionStatus.READY]
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
        if failed:
            result["error"] = failed[0].error or "A rendition could not be built."
            services.asset_delete(asset=asset)
            result["asset"] = None
            result["renditions"] = []
            self._line(path, f"refused: {result['error']}", error=True)
            return result
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


def _message(error):
    if isinstance(error, services.AssetRefusedError):
        return error.messages[0]
    if isinstance(error, FileNotFoundError | IsADirectoryError | PermissionError):
        return f"The file could not be read: {error.strerror}."
    return str(error)
