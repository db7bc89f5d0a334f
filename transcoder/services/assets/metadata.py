"""What the file says about itself: fill an asset's blank fields, tag its keywords.

The reading is ``imaging.decode.metadata`` (XMP, then IPTC, then EXIF; never GPS).
Here its findings meet the asset: they only ever fill what is blank, so an
upload never loses the uploader's title and a replaced file never overwrites
what an editor wrote. Keywords become tags, as in Lightroom and Bridge, whose
users keyword on purpose and search by those words; at most
``imaging.decode.metadata.MAX_KEYWORDS`` of them, each as ``tags_parse`` reads a tag.
"""

import logging

from django.db import DatabaseError, transaction
from django.utils import timezone

from transcoder.imaging.decode import metadata
from transcoder.models import TaggedAsset
from transcoder.services.library.tags import TagError, tags_add, tags_parse

logger = logging.getLogger(__name__)

# The asset's text fields the file may fill, all named as in imaging.decode.metadata.
TEXT_FIELDS = ("title", "caption", "creator", "credit", "copyright", "camera")


def file_metadata(data, fmt):
    """Return what ``data`` (an upload the engine accepted as ``fmt``) says."""
    return metadata.read_bytes(data, fmt)


def metadata_fill(*, asset, found):
    """Fill ``asset``'s blank fields from ``found``; never overwrite, never save."""
    for name in TEXT_FIELDS:
        if not getattr(asset, name) and getattr(found, name):
            setattr(asset, name, getattr(found, name))
    if asset.captured_at is None and found.captured_at is not None:
        moment = found.captured_at
        if timezone.is_naive(moment):
            # The file names no zone: read its wall clock in the site's.
            moment = timezone.make_aware(moment, timezone.get_default_timezone())
        asset.captured_at = moment
    return asset


def keyword_tags(keywords):
    """Return tag names for ``keywords``: one tag per keyword (commas split one),
    each as tags_parse reads a quoted tag; a keyword it refuses is left out."""
    names = {}
    for keyword in keywords:
        for part in keyword.split(","):
            part = part.replace('"', "").strip()
            if not part:
                continue
            try:
                parsed = tags_parse(f'"{part}"')
            except TagError:
                continue
            for name in parsed:
                names.setdefault(name.casefold(), name)
    return list(names.values())[: metadata.MAX_KEYWORDS]


def metadata_tags_apply(*, asset, found):
    """Tag a tagless ``asset`` with the file's keywords; return how many were added.

    An asset that has tags keeps them as they are (an editor chose them).
    A failure here is logged and never undoes the upload.
    """
    names = keyword_tags(found.keywords)
    if not names or TaggedAsset.objects.filter(content_object=asset).exists():
        return 0
    try:
        with transaction.atomic():
            return tags_add(asset_ids=[asset.pk], names=names)
    except DatabaseError:
        logger.exception("Asset %s: could not tag its keywords", asset.pk)
        return 0
