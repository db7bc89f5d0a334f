"""Tags: parse what editors type, add and remove tags on many assets at once."""

from django.db import transaction
from django.utils.translation import gettext
from taggit.models import Tag

from transcoder.models import Asset, Event, TaggedAsset
from transcoder.services.library.duplicates import library_write_lock
from transcoder.services.outbox.changes import changes_record

MAX_TAG_LENGTH = 100


class TagError(ValueError):
    """Typed tags that cannot be stored."""


def tags_split(text):
    """Return the tag names in ``text``: separated by commas, never by spaces.

    "still life, beach" is two tags and "still life" one: a space belongs to
    its tag. A "quoted" name may hold a comma. Empty names are dropped, and a
    name typed twice is kept once. taggit uses this for every tag field
    (``TAGGIT_TAGS_FROM_STRING`` in the settings).
    """
    names, current, quoted = [], [], False
    for char in text or "":
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    cleaned = (" ".join(name.split()) for name in names)
    return sorted(dict.fromkeys(name for name in cleaned if name))


def tags_join(tags):
    """Return the text ``tags_split`` reads back as these tags (an edit field's value).

    ``tags`` are Tag rows or names; a name with a comma is quoted.
    """
    names = sorted(getattr(tag, "name", tag) for tag in tags)
    return ", ".join(f'"{name}"' if "," in name else name for name in names)


def tags_parse(text):
    """Return the tag names in ``text`` (see ``tags_split``).

    Raises TagError for a tag longer than the tag column holds.
    """
    names = tags_split(text)
    for name in names:
        if len(name) > MAX_TAG_LENGTH:
            raise TagError(
                gettext("A tag may be at most %(n)d characters.")
                % {"n": MAX_TAG_LENGTH}
            )
    return names


def _tags_for(names, *, create):
    """Return Tag rows for ``names``, matching existing tags case-insensitively."""
    tags = []
    for name in dict.fromkeys(names):
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None and create:
            tag = Tag.objects.create(name=name)
        if tag is not None:
            tags.append(tag)
    return tags


def tags_add(*, asset_ids, names):
    """Give every asset among ``asset_ids`` the tags ``names``; idempotent.

    Existing tags are reused case-insensitively ("Beach" and "beach" are one
    tag). Returns the number of new tag links made.
    """
    if not names:
        return 0
    with transaction.atomic():
        library_write_lock()  # before any row: see services.outbox.changes
        tags = _tags_for(names, create=True)
        where = dict(
            Asset.objects.filter(pk__in=asset_ids).values_list("pk", "collection_id")
        )
        ids = list(where)
        had = set(
            TaggedAsset.objects.filter(
                content_object_id__in=ids, tag__in=tags
            ).values_list("content_object_id", "tag_id")
        )
        rows = [
            TaggedAsset(content_object_id=asset_id, tag=tag)
            for asset_id in ids
            for tag in tags
            if (asset_id, tag.pk) not in had
        ]
        TaggedAsset.objects.bulk_create(rows, ignore_conflicts=True)
        changed = dict.fromkeys(row.content_object_id for row in rows)
        changes_record(event=Event.UPDATED, assets=[(pk, where[pk]) for pk in changed])
        return _count(ids, tags) - len(had)


def _count(ids, tags):
    return TaggedAsset.objects.filter(content_object_id__in=ids, tag__in=tags).count()


def tags_remove(*, asset_ids, names):
    """Take the tags ``names`` off every asset among ``asset_ids``; idempotent.

    Returns the number of tag links removed. Tags left on no asset stay, so
    autocomplete keeps offering the vocabulary.
    """
    tags = _tags_for(names, create=False)
    if not tags:
        return 0
    links = TaggedAsset.objects.filter(
        content_object_id__in=list(asset_ids), tag__in=tags
    )
    with transaction.atomic():
        library_write_lock()  # before any row: see services.outbox.changes
        changed = Asset.objects.filter(
            pk__in=links.values("content_object_id")
        ).values_list("pk", "collection_id")
        changes_record(event=Event.UPDATED, assets=list(changed))
        removed, _ = links.delete()
    return removed


def tags_set(*, asset, names):
    """Replace an asset's tags with ``names``, reusing existing tags."""
    with transaction.atomic():
        library_write_lock()  # before any row: see services.outbox.changes
        tags = _tags_for(names, create=True)
        TaggedAsset.objects.filter(content_object=asset).exclude(tag__in=tags).delete()
        TaggedAsset.objects.bulk_create(
            [TaggedAsset(content_object=asset, tag=t) for t in tags],
            ignore_conflicts=True,
        )
        changes_record(event=Event.UPDATED, assets=[(asset.pk, asset.collection_id)])
    return tags
