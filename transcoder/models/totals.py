"""Running totals per collection, kept by the database itself on PostgreSQL.

The media home's figures (assets, bytes of originals and renditions, failed,
missing alt text) and the tag sidebar's counts are sums per collection. At a
million assets, working them out on every page view read the whole asset and
rendition tables; these tables hold the sums instead, so a page adds up at
most one row per collection (or per tag and collection) within the reader's
reach. Statement-level triggers (migration 0012) keep them right whatever
writes the rows: services, bulk jobs, cascading deletes, raw SQL. SQLite
libraries are small: there the same figures are aggregated live
(transcoder.selectors), and these tables stay empty.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CollectionTotals(models.Model):
    """What the assets directly in one collection add up to."""

    collection = models.OneToOneField(
        "transcoder.Collection",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="totals",
    )
    assets = models.BigIntegerField(default=0)
    original_bytes = models.BigIntegerField(default=0)
    # Every rendition row's bytes, current and superseded: what the bucket
    # holds until a purge.
    rendition_bytes = models.BigIntegerField(default=0)
    missing_alt = models.BigIntegerField(default=0)
    failed = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("collection totals")
        verbose_name_plural = _("collection totals")

    def __str__(self):
        return f"{self.collection_id}: {self.assets} assets"


class TagTotals(models.Model):
    """How many assets directly in one collection carry one tag."""

    # No database constraint: deleting a tag removes its TaggedAsset rows and
    # these in either order, and the trigger may briefly count the former.
    tag = models.ForeignKey(
        "taggit.Tag",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    collection = models.ForeignKey(
        "transcoder.Collection", on_delete=models.CASCADE, related_name="+"
    )
    assets = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("tag totals")
        verbose_name_plural = _("tag totals")
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "tag"], name="tagtotals_unique"
            )
        ]

    def __str__(self):
        return f"{self.tag_id} in {self.collection_id}: {self.assets}"
