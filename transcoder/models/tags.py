"""Tags on assets: django-taggit's Tag, through a table with a real foreign key.

Asset ids are UUIDs, which taggit's generic TaggedItem (an integer object id)
cannot hold; a direct foreign key also makes tag filters a plain join and
cascades when an asset is deleted.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from taggit.models import TaggedItemBase


class TaggedAsset(TaggedItemBase):
    content_object = models.ForeignKey(
        "transcoder.Asset", on_delete=models.CASCADE, related_name="tagged_items"
    )

    class Meta:
        verbose_name = _("asset tag")
        verbose_name_plural = _("asset tags")
        constraints = [
            models.UniqueConstraint(
                fields=["content_object", "tag"], name="tagged_asset_unique"
            )
        ]
