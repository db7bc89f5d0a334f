"""Bulk-import image files from disk, as when migrating an existing library."""

import json
import logging
import multiprocessing
from argparse import ArgumentTypeError
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from transcoder import services
from transcoder.conf import image_limits
from transcoder.delivery import serving
from transcoder.management import children
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
        parser.add_argument(
            "--jobs",
            type=_positive,
            default=1,
            metavar="N",
            help="Import with N processes at once (default 1).",
        )
        parser.add_argument(
            "--allow-duplicates",
            action="store_true",
            help="Import a file even if the same file is in the library already.",
        )

    def handle(
        self,
        *args,
        paths,
        as_json=False,
        presets=None,
        jobs=1,
        allow_duplicates=False,
        **options,
    ):
        preset_ids = None
        if presets:
            found = dict(
                Preset.objects.filter(slug__in=presets).values_list("slug", "pk")
            )
            missing = sorted(set(presets) - set(found))
            if missing:
                raise CommandError(f"Unknown preset: {', '.join(missing)}.")
            preset_ids = list(found.values())
        # Made once here, so the workers do not race to create it.
        services.collection_default()
        work = [(Path(p), preset_ids, allow_duplicates) for p in paths]
        if jobs > 1 and len(work) > 1:
            with _pool(min(jobs, len(work))) as pool:
                outcomes = pool.map(_ingest_in_child, work)
                results = [self._report(*outcome) for outcome in outcomes]
        else:
            results = [self._report(*ingest_one(*item)) for item in work]
        if as_json:
            self.stdout.write(json.dumps(results, indent=2))
        # A duplicate is not a failure: the file is in the library.
        failed = [r for r in results if r["status"] not in ("ok", "duplicate")]
        if failed:
            raise SystemExit(1)

    def _report(self, result, line, error):
        self._line(result["file"], line, error=error)
        return result

    def _line(self, path, text, error=False):
        if self._json_mode:
            return
        (self.stderr if error else self.stdout).write(f"{path}: {text}")

    def execute(self, *args, **options):
        self._json_mode = options.get("as_json", False)
        return super().execute(*args, **options)


def _positive(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ArgumentTypeError(f"{value!r} is not a whole number of at least 1.")
    return number


def _pool(workers):
    """Return a pool of ``workers`` processes that set Django up on their own.

    The children come from a forkserver, never a fork of this process: its
    threads (an S3 transfer, a server, a database driver's) could hold a lock
    that a forked child would wait on forever. The server preloads the
    image engine, which needs no Django, so each child only sets Django up.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["transcoder.imaging.engine"])
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=children.child_setup,
        initargs=(children.settings_snapshot(),),
    )


def _ingest_in_child(item):
    try:
        return ingest_one(*item)
    finally:
        connections.close_all()


def ingest_one(path, preset_ids, allow_duplicate=False):
    """Import one file and build its renditions here; return (result, line, error)."""
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
        try:
            asset = services.asset_create(
                content=content,
                filename=path.name,
                queue_renditions=False,
                allow_duplicate=allow_duplicate,
            )
        except services.DuplicateAssetError as e:
            result.update(status="duplicate", asset=str(e.existing.pk))
            return result, f"duplicate {e.existing.pk} ({e.existing})", False
        rows = services.renditions_generate(asset_id=asset.pk, preset_ids=preset_ids)
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
        return result, f"refused: {result['error']}", True
    result["asset"] = str(asset.pk)
    result["renditions"] = [
        {
            "preset": r.preset.slug,
            "format": r.format,
            "width": r.width,
            "height": r.height,
            "bytes": r.bytes,
            "name": r.name,
            "url": serving.rendition_url(r),
        }
        for r in rows
        if r.status == RenditionStatus.READY
    ]
    result["status"] = "ok"
    return result, f"ok {asset.pk} ({len(rows)} renditions)", False


def _read_file(path, limit):
    if not path.is_file():
        raise OSError(f"There is no file at {path}.")
    with path.open("rb") as f:
        return f.read(limit + 1)


def _remove(asset):
    """Delete a refused file's asset, original and renditions."""
    try:
        services.asset_erase(asset_id=asset.pk, versions=False)
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
