"""The only writers: every change to assets, presets and renditions goes through here."""

import hashlib
import logging
import re
import secrets
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from transcoder import engine
from transcoder.conf import image_limits, setting
from transcoder.models import Asset, Preset, Rendition, RenditionStatus

logger = logging.getLogger(__name__)

ORIGINAL_EXTENSIONS = {
    "jpeg": "jpg",
    "png": "png",
    "webp": "webp",
    "avif": "avif",
    "gif": "gif",
    "tiff": "tif",
    "heif": "heic",
}


class AssetRefusedError(ValidationError):
    """The upload is not an image that mediahub accepts."""


class RenditionStorageError(Exception):
    """A storage fault (an S3 error or time-out) stopped a build; a retry may work."""


def _read_limited(content, limit):
    """Read bytes from a file or bytes, never more than one byte past ``limit``."""
    if isinstance(content, bytes | bytearray):
        return bytes(content)
    if hasattr(content, "seek"):
        content.seek(0)
    return content.read(limit + 1)


def original_name(asset_id, content_hash, fmt):
    """Return the storage name of an original; nothing of the upload's name is in it."""
    return f"originals/{asset_id}/{content_hash[:16]}.{ORIGINAL_EXTENSIONS[fmt]}"


def rendition_name(*, asset_id, preset_slug, spec, width):
    """Return the immutable, content-addressed storage name of a rendition."""
    return (
        f"renditions/{asset_id}/{preset_slug}/{spec.digest}-{width}.{spec.output.ext}"
    )


def validate_image(data):
    """Return the engine's facts about ``data``, or raise AssetRefusedError."""
    try:
        return engine.inspect(data, image_limits())
    except engine.ImageError as e:
        raise AssetRefusedError(str(e), code=type(e).__name__) from e


def _asset_insert(asset, preset_ids):
    with transaction.atomic():
        asset.save(force_insert=True)
        renditions_enqueue(asset_id=asset.pk, preset_ids=preset_ids)
    return asset


def asset_create(
    *,
    content,
    filename="",
    title="",
    alt_text="",
    uploaded_by=None,
    focal=None,
    upload_key=None,
    preset_ids=None,
):
    """Validate an upload, store the original untouched, and queue its renditions.

    ``content`` is bytes or a file. A refused upload raises AssetRefusedError and
    leaves nothing stored. With ``upload_key``, creating twice returns the
    first asset.
    """
    if upload_key:
        existing = Asset.objects.filter(upload_key=upload_key).first()
        if existing:
            return existing
    data = _read_limited(content, image_limits().max_bytes)
    info = validate_image(data)
    content_hash = hashlib.sha256(data).hexdigest()
    asset = Asset(
        id=uuid.uuid4(),
        title=title or _title_from_filename(filename),
        alt_text=alt_text,
        original_filename=(filename or "")[:255],
        content_hash=content_hash,
        format=info.format,
        mime_type=info.mime,
        width=info.width,
        height=info.height,
        frames=info.frames,
        bytes=len(data),
        upload_key=upload_key,
        uploaded_by=uploaded_by,
    )
    if focal:
        asset.focal_x, asset.focal_y = focal
    storage = storages["default"]
    asset.original = storage.save(
        original_name(asset.id, content_hash, info.format), ContentFile(data)
    )
    try:
        return _asset_insert(asset, preset_ids)
    except IntegrityError:
        storage.delete(asset.original)
        if upload_key:
            existing = Asset.objects.filter(upload_key=upload_key).first()
            if existing:
                return existing
        raise
    except BaseException:
        storage.delete(asset.original)
        raise


# A direct upload's key is made by the server (see uploads.upload_key_new); anything
# else under uploads/ is not ours to turn into an asset.
UPLOAD_KEY = re.compile(r"^uploads/[A-Za-z0-9_-]{22,64}/upload$")


class UploadNotFoundError(ValidationError):
    """The direct upload is not (or no longer) in the bucket."""


def asset_finalize_upload(*, key, filename="", uploaded_by=None):
    """Turn a direct upload into an asset, treating the object as untrusted.

    Checks size, sniffed format and pixels exactly as for any upload; a refused
    object is deleted. Idempotent per key: the browser's finalize call and the
    S3 event may race, and S3 may deliver an event twice; all yield one asset.
    """
    if not UPLOAD_KEY.match(key or ""):
        raise UploadNotFoundError("That is not an upload key mediahub made.")
    existing = Asset.objects.filter(upload_key=key).first()
    if existing:
        return existing
    storage = storages["default"]
    limit = image_limits().max_bytes
    try:
        size = storage.size(key)
    except FileNotFoundError:
        size = None
    except Exception as e:
        if _is_missing(e):
            size = None
        else:
            raise
    if size is None:
        return _finalized_elsewhere(key)
    try:
        if size > limit:
            raise AssetRefusedError(
                f"The file is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB."
            )
        try:
            with storage.open(key, "rb") as f:
                data = f.read(limit + 1)
        except FileNotFoundError:
            # A racing finalize (browser or S3 event) took and deleted it.
            return _finalized_elsewhere(key)
        asset = asset_create(
            content=data, filename=filename, uploaded_by=uploaded_by, upload_key=key
        )
    except AssetRefusedError:
        storage.delete(key)
        raise
    storage.delete(key)
    return asset


def _finalized_elsewhere(key):
    """Return the asset made from ``key`` by a racing finalize, or raise not found."""
    existing = Asset.objects.filter(upload_key=key).first()
    if existing:
        return existing
    raise UploadNotFoundError(
        "The upload was not found; it may have expired. Upload the file again."
    )


def _is_missing(error):
    """Tell whether a storage error means the object does not exist (S3's 404)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code")) in {
        "404",
        "NoSuchKey",
        "NotFound",
    }


def _title_from_filename(filename):
    stem = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    return stem.replace("_", " ").replace("-", " ").strip()[:255]


def asset_update(*, asset, title, alt_text, focal):
    """Save an editor's changes; a moved focal point re-crops the cover renditions."""
    old_focal = Asset.objects.filter(pk=asset.pk).values_list("focal_x", "focal_y")
    old_focal = old_focal.first()
    asset.title = title
    asset.alt_text = alt_text
    asset.focal_x, asset.focal_y = focal if focal else (None, None)
    with transaction.atomic():
        asset.full_clean()
        asset.save()
        if old_focal != (asset.focal_x, asset.focal_y):
            renditions_enqueue(asset_id=asset.pk)
    return asset


def asset_delete(*, asset):
    """Delete an asset, then its original and renditions once the deletion commits."""
    names = [
        asset.original,
        *asset.renditions.exclude(name="").values_list("name", flat=True),
    ]
    with transaction.atomic():
        asset.delete()
        transaction.on_commit(lambda: _delete_objects(names))


def _delete_objects(names):
    for name in names:
        alias = "default" if name.startswith("originals/") else "renditions"
        try:
            storages[alias].delete(name)
        except Exception:
            # purge_orphans removes what a failed delete leaves behind.
            logger.exception("Could not delete %s", name)


# An upload is finalized right after its POST; the margin covers retried S3 events.
UPLOAD_GRACE = timedelta(hours=1)
# An original is stored just before its row is inserted.
ORIGINAL_GRACE = timedelta(days=1)


def orphans_purge(*, dry_run=False, now=None):
    """Delete objects and rows nothing needs any more; return ``(alias, name, why)``.

    Superseded renditions and unreferenced rendition objects go once
    MEDIAHUB_URL_TTL has passed (old signed URLs keep working until then, and a
    build writes its object before its row); uploads once their POST policy
    and a margin have expired; originals without an asset after a day.
    """
    now = now or timezone.now()
    url_cutoff = now - timedelta(seconds=setting("URL_TTL"))
    stale = Rendition.objects.filter(superseded_at__lt=url_cutoff)
    stale_names = set(stale.exclude(name="").values_list("name", flat=True))
    plan = [("renditions", n, "superseded") for n in sorted(stale_names)]
    if not dry_run:
        stale.delete()
    used = set(Rendition.objects.exclude(name="").values_list("name", flat=True))
    used |= stale_names
    plan += [
        ("renditions", name, "no rendition refers to it")
        for name, modified in _objects(storages["renditions"], "renditions")
        if name not in used and modified < url_cutoff
    ]
    upload_ttl = timedelta(seconds=setting("UPLOAD_URL_TTL"))
    plan += [
        ("default", name, "stale upload")
        for name, modified in _objects(storages["default"], "uploads")
        if modified < now - upload_ttl - UPLOAD_GRACE
    ]
    originals = set(Asset.objects.values_list("original", flat=True))
    plan += [
        ("default", name, "no asset refers to it")
        for name, modified in _objects(storages["default"], "originals")
        if name not in originals and modified < now - ORIGINAL_GRACE
    ]
    if not dry_run:
        for alias, name, _ in plan:
            storages[alias].delete(name)
    return plan


def _objects(storage, prefix):
    """Yield ``(name, last modified)`` of every object under ``prefix``."""
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        # One S3 listing gives the dates too: no HEAD request per object.
        for summary in bucket.objects.filter(Prefix=f"{prefix}/"):
            yield summary.key, summary.last_modified
        return
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}/{name}", storage.get_modified_time(f"{prefix}/{name}")
    for name in dirs:
        yield from _objects(storage, f"{prefix}/{name}")


def renditions_enqueue(*, asset_id, preset_ids=None, force=False):
    """Queue rendition generation for after the current transaction commits."""
    from transcoder.tasks import generate_renditions

    args = [str(asset_id), list(preset_ids) if preset_ids else None, force]
    # robust: a backend that fails to enqueue must not look like a failed
    # write once the asset has committed (asset_create would then delete its
    # original); the rows stay pending and "Regenerate renditions" rebuilds them.
    transaction.on_commit(lambda: generate_renditions.enqueue(*args), robust=True)


def preset_save(*, preset):
    """Validate and save a preset, then build its renditions for every asset."""
    preset.full_clean()
    with transaction.atomic():
        preset.save()
        if preset.active:
            _preset_enqueue(preset)
    return preset


def _preset_enqueue(preset):
    for asset_id in Asset.objects.values_list("pk", flat=True).iterator():
        renditions_enqueue(asset_id=asset_id, preset_ids=[preset.pk])


def renditions_generate(*, asset_id, preset_ids=None, force=False):
    """Build every missing rendition of an asset from one decode of its original.

    Idempotent: what is ready is kept; running twice gives the same rows and
    objects. A refused or failed build is recorded on its rows with the reason.
    Returns the rendition rows of the current specs.
    """
    asset = Asset.objects.filter(pk=asset_id).first()
    if asset is None:
        return []  # Deleted while queued.
    presets = Preset.objects.filter(active=True)
    if preset_ids:
        presets = presets.filter(pk__in=preset_ids)
    plan = []
    for preset in presets:
        for spec in preset.specs(asset.focal):
            try:
                row, _ = Rendition.objects.get_or_create(
                    asset=asset,
                    preset=preset,
                    digest=spec.digest,
                    defaults={
                        "format": spec.format,
                        "spec_width": spec.width,
                        "spec_height": spec.height,
                    },
                )
            except IntegrityError:
                if not Asset.objects.filter(pk=asset_id).exists():
                    return []  # Deleted meanwhile: do not bring it back.
                raise
            plan.append((preset, spec, row))
    todo = [p for p in plan if force or _wants_build(p[2])]
    if todo:
        _build(asset, todo)
    _supersede_stale(asset, plan)
    fresh = Rendition.objects.select_related("preset").in_bulk(
        [r.pk for _, _, r in plan]
    )
    return [fresh[row.pk] for _, _, row in plan if row.pk in fresh]


def _wants_build(row):
    """Tell whether a row still needs a build: not ready, attempts not used up."""
    if row.status == RenditionStatus.READY:
        return False
    return row.status != RenditionStatus.FAILED or row.attempts < setting(
        "MAX_ATTEMPTS"
    )


def _mark(rows, **fields):
    """Update rows in place without re-inserting any that were deleted meanwhile."""
    return Rendition.objects.filter(pk__in=[r.pk for r in rows]).update(
        updated_at=timezone.now(), **fields
    )


def _build(asset, todo):
    rows = [row for _, _, row in todo]
    Rendition.objects.filter(pk__in=[r.pk for r in rows]).update(
        attempts=F("attempts") + 1
    )
    try:
        with storages["default"].open(asset.original, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        if Asset.objects.filter(pk=asset.pk).exists():
            _mark(rows, status=RenditionStatus.FAILED, error="The original is missing.")
        return
    except Exception as e:
        _storage_fault(rows, e, "reading the original")
    try:
        outputs = engine.render(data, [spec for _, spec, _ in todo], image_limits())
    except engine.ImageError as e:
        _mark(rows, status=RenditionStatus.FAILED, error=str(e))
        logger.warning("Asset %s could not be transcoded: %s", asset.pk, e)
        return
    except Exception as e:
        _mark(rows, status=RenditionStatus.FAILED, error=f"{type(e).__name__}: {e}")
        raise
    storage = storages["renditions"]
    for index, ((preset, spec, row), out) in enumerate(
        zip(todo, outputs, strict=True)
    ):
        name = rendition_name(
            asset_id=asset.pk, preset_slug=preset.slug, spec=spec, width=out.width
        )
        try:
            _write_once(storage, name, out.data)
        except Exception as e:
            _storage_fault(rows[index:], e, f"writing {name}")
        updated = _mark(
            [row],
            status=RenditionStatus.READY,
            error="",
            name=name,
            width=out.width,
            height=out.height,
            bytes=len(out.data),
        )
        if not updated:
            # The asset was deleted while we worked: do not bring it back.
            storage.delete(name)


def _storage_fault(rows, error, doing):
    """Mark ``rows`` failed with a storage fault's reason and raise it as retryable."""
    reason = f"Storage error while {doing}: {type(error).__name__}: {error}"
    _mark(rows, status=RenditionStatus.FAILED, error=reason[:1000])
    logger.warning("%s", reason)
    raise RenditionStorageError(reason) from error


def _write_once(storage, name, data):
    """Write an immutable object unless it is already there."""
    if storage.exists(name):
        return
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        # Another worker wrote the same content-addressed name first.
        storage.delete(saved)


def _supersede_stale(asset, plan):
    """Once a preset's current specs are all ready, make them the ones served.

    Older specs are marked superseded (they keep serving old URLs until
    purge_orphans removes them); a spec that was superseded and is current
    again, because a preset was changed back, is revived.
    """
    current = {}
    for preset, _spec, row in plan:
        current.setdefault(preset.pk, []).append(row.pk)
    for preset_id, row_ids in current.items():
        ready = Rendition.objects.filter(pk__in=row_ids, status=RenditionStatus.READY)
        if ready.count() != len(row_ids):
            continue
        ready.filter(superseded_at__isnull=False).update(superseded_at=None)
        Rendition.objects.filter(
            asset=asset, preset_id=preset_id, superseded_at__isnull=True
        ).exclude(pk__in=row_ids).update(superseded_at=timezone.now())


def api_token_issue(*, token):
    """Give a new API token its secret key, store only the hash, and return the key once."""
    from transcoder.api import token_hash

    key = secrets.token_urlsafe(32)
    token.prefix = key[:8]
    token.key_hash = token_hash(key)
    token.save()
    return key
