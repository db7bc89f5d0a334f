"""Assets: the originals editors upload, and their tombstones."""

import dataclasses
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from transcoder.imaging.encoding import animation
from transcoder.models.collections import root_collection_id


class RenditionState(models.TextChoices):
    """An asset's renditions of the active presets, summed up
    (services.rendering.states)."""

    READY = "ready", _("All ready")
    PENDING = "pending", _("Some pending")
    FAILED = "failed", _("Some failed")
    FAILED_PENDING = "failed_pending", _("Some failed, some pending")


class LiveAssetManager(models.Manager):
    """Assets that are not in the Trash: what every list, search and door sees."""

    def get_queryset(self):
        return super().get_queryset().filter(trashed_at__isnull=True)


class AllAssetsManager(models.Manager):
    """Every asset, live or trashed: for the Trash's own services and the purge."""


class TrashManager(models.Manager):
    """Assets in the Trash, and only those."""

    def get_queryset(self):
        return super().get_queryset().filter(trashed_at__isnull=False)


class Asset(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(_("title"), max_length=255, blank=True)
    alt_text = models.CharField(
        _("alt text"),
        max_length=500,
        blank=True,
        help_text=_("Describe the image for people who cannot see it."),
    )
    # Decorative images say so on purpose: templates and the API emit alt="".
    decorative = models.BooleanField(
        _("decorative"),
        default=False,
        help_text=_(
            "Purely decorative: adds nothing a reader would miss, so pages use an"
            ' empty alt="" and screen readers skip it. Leave unticked and write'
            " alt text for anything that carries meaning."
        ),
    )
    # What the file said about itself at upload (IPTC, XMP, EXIF; see
    # services.assets.metadata), editable like the rest. GPS is never kept.
    caption = models.CharField(_("caption"), max_length=2000, blank=True)
    creator = models.CharField(_("creator"), max_length=255, blank=True)
    credit = models.CharField(_("credit"), max_length=255, blank=True)
    copyright = models.CharField(_("copyright"), max_length=500, blank=True)
    captured_at = models.DateTimeField(_("capture date"), null=True, blank=True)
    camera = models.CharField(_("camera"), max_length=255, blank=True)
    # The storage name is made by the server; the uploaded file name is only
    # kept as metadata and never becomes a key or a path.
    original = models.CharField(max_length=255, editable=False)
    original_filename = models.CharField(
        _("original file name"), max_length=255, blank=True, editable=False
    )
    content_hash = models.CharField(
        _("content hash"), max_length=64, db_index=True, editable=False
    )
    format = models.CharField(_("format"), max_length=10, editable=False)
    mime_type = models.CharField(max_length=50, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    bytes = models.PositiveBigIntegerField(editable=False)
    frames = models.PositiveIntegerField(default=1, editable=False)
    focal_x = models.FloatField(
        _("focal point x"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    focal_y = models.FloatField(
        _("focal point y"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    # An optional focal area, centred on the focal point: its width and height
    # as fractions of the image. Crops keep all of it in view where their shape
    # allows (see transcoder.imaging.analysis.focal).
    focal_width = models.FloatField(
        _("focal area width"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    focal_height = models.FloatField(
        _("focal area height"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    # The automatic focal area (imaging.analysis.saliency), made from the upload's
    # proxy decode: {"x", "y", "width", "height"} fractions; {} when the
    # picture gave none, None when not made yet (services.assets.focal_suggestions).
    # Cover crops use it until the editor decides (focal_decided): sets,
    # accepts, moves or clears an area. See Asset.crop_focal.
    focal_suggestion = models.JSONField(null=True, blank=True, editable=False)
    focal_decided = models.BooleanField(default=False, editable=False)
    # The key of a direct upload this asset was made from; it makes finalizing
    # the same upload twice (browser and S3 event racing) yield one asset.
    upload_key = models.CharField(
        max_length=255, unique=True, null=True, blank=True, editable=False
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # The perceptual difference hash (16 hex digits, see
    # transcoder.imaging.analysis.perceptual) and how many other assets look
    # alike; kept up to date at upload, so the "has near duplicates" filter is
    # one indexed comparison.
    dhash = models.CharField(max_length=16, blank=True, db_index=True, editable=False)
    near_duplicates = models.PositiveIntegerField(
        default=0, db_index=True, editable=False
    )
    # The placeholder pages show before the image loads (imaging.analysis.placeholder):
    # a base64 ThumbHash and the dominant colour as #rrggbb. Made with the
    # renditions; blank until then, and again while a replaced file builds.
    thumbhash = models.CharField(max_length=64, blank=True, editable=False)
    dominant_colour = models.CharField(max_length=7, blank=True, editable=False)
    # Empty until the file is first replaced; then the current original's
    # short content hash, mixed into every rendition digest so a replaced
    # file gets new rendition names (see Asset.rendition_specs).
    spec_source = models.CharField(max_length=16, blank=True, editable=False)
    # The current edit of the original (imaging.edits.Recipe.to_json; {} for
    # none): a crop, quarter turns and a mirror the renditions apply. The
    # original stays as uploaded; width and height are the edited picture's.
    edit = models.JSONField(default=dict, blank=True, editable=False)
    # When the current file was uploaded, if it replaced an earlier one.
    file_uploaded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Assets made in code without a collection land in the root; uploads and
    # the API choose one (see transcoder.permissions).
    collection = models.ForeignKey(
        "transcoder.Collection",
        verbose_name=_("collection"),
        on_delete=models.PROTECT,
        related_name="assets",
        default=root_collection_id,
    )
    created_at = models.DateTimeField(
        _("uploaded at"), auto_now_add=True, db_index=True
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    tags = TaggableManager(
        verbose_name=_("tags"),
        through="transcoder.TaggedAsset",
        blank=True,
        help_text=_("Free tags, separated by commas."),
    )
    # Denormalised for the list's status filter (an indexed WHERE instead of a
    # GROUP BY over every rendition): kept by services.rendering.states.
    rendition_state = models.CharField(
        _("renditions"),
        max_length=16,
        choices=RenditionState.choices,
        default=RenditionState.PENDING,
        editable=False,
    )
    # In the Trash since then (services.library.trash); None for a live asset. The
    # default manager leaves trashed assets out, so no door filters on its own.
    trashed_at = models.DateTimeField(null=True, blank=True, editable=False)
    trashed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Its collection was deleted while it was in the Trash: it waits in the
    # default collection, and a restore says so.
    collection_lost = models.BooleanField(default=False, editable=False)

    # The first manager is the default one: live assets only. The base manager
    # (a rendition's or version's asset) still reaches a trashed one.
    objects = LiveAssetManager()
    all_objects = AllAssetsManager()
    trash = TrashManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        # The list's order is (-created_at, -id); each filter leads its index.
        indexes = [
            models.Index(fields=["created_at", "id"], name="asset_created_id"),
            models.Index(
                fields=["rendition_state", "created_at", "id"],
                name="asset_state_created",
            ),
            models.Index(
                fields=["format", "created_at", "id"], name="asset_format_created"
            ),
            # A collection-limited reader's list walks its collections' rows.
            models.Index(
                fields=["collection", "created_at", "id"],
                name="asset_collection_created",
            ),
            # The rare kinds the list filters and the media home look for: a
            # partial index each, in list order, as small as what it finds.
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(rendition_state__in=["failed", "failed_pending"]),
                name="asset_failed_created",
            ),
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(near_duplicates__gt=0),
                name="asset_lookalike_created",
            ),
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(alt_text="", decorative=False),
                name="asset_missing_alt_created",
            ),
            # Only trashed rows: the index stays as small as the Trash.
            models.Index(
                fields=["trashed_at"],
                name="asset_trashed_at",
                condition=models.Q(trashed_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(focal_x__isnull=True, focal_y__isnull=True)
                    | models.Q(focal_x__isnull=False, focal_y__isnull=False)
                ),
                name="asset_focal_point_complete",
            )
        ]

    def __str__(self):
        return self.title or self.original_filename or str(self.id)

    def get_absolute_url(self):
        return reverse("admin:transcoder_asset_change", args=[self.pk])

    @property
    def focal(self):
        if self.focal_x is None or self.focal_y is None:
            return None
        return (self.focal_x, self.focal_y)

    @property
    def focal_source(self):
        """Whose focal area crops use: "editor", "suggested", or None (centre)."""
        if self.focal is not None:
            return "editor"
        if self.focal_suggestion and not self.focal_decided:
            return "suggested"
        return None

    @property
    def crop_focal(self):
        """Return the point cover crops centre on: the editor's, else the
        suggestion until the editor decides, else None (the centre)."""
        source = self.focal_source
        if source == "suggested":
            return (self.focal_suggestion["x"], self.focal_suggestion["y"])
        return self.focal if source else None

    def rendition_specs(self, preset):
        """Return ``preset``'s specs for this asset: its crop point, its file,
        its edit, and motion in the formats that keep it when the file is an
        animation (edited or not: the edit is applied to every frame)."""
        specs = preset.specs(self.crop_focal)
        # The decoder holds the whole upright original's canvas, whatever the
        # crop: that is the size whose memory MAX_MOVING_PIXELS bounds.
        specs = animation.with_motion(
            specs, self.format, self.frames, self.recipe.source
        )
        if not self.spec_source and not self.edit:
            return specs
        edit = self.recipe.key
        return [
            dataclasses.replace(s, source=self.spec_source, edit=edit) for s in specs
        ]

    @property
    def recipe(self):
        """Return the current edit as an ``imaging.edits.Recipe``."""
        from transcoder.imaging.edits import Recipe, source_size

        return Recipe.from_json(
            self.edit, source_size(self.edit, self.width, self.height)
        )

    @property
    def focal_area(self):
        """Return the focal area as (left, top, right, bottom) fractions, or None."""
        if self.focal is None or not self.focal_width or not self.focal_height:
            return None
        from transcoder.imaging.analysis.focal import area_from_centre

        return area_from_centre(
            self.focal_x, self.focal_y, self.focal_width, self.focal_height
        )


class TrashedAsset(Asset):
    """An asset in the Trash, as the admin's Trash lists it."""

    objects = TrashManager()

    class Meta:
        proxy = True
        ordering = ["-trashed_at", "-id"]
        verbose_name = _("trashed image")
        verbose_name_plural = _("Trash")


class DeletedAsset(models.Model):
    """A tombstone: this asset existed, so its embed links answer 410 Gone."""

    id = models.UUIDField(primary_key=True, editable=False)
    deleted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deleted asset")

    def __str__(self):
        return str(self.id)


@receiver(post_delete, sender=Asset, dispatch_uid="mediahub.asset_tombstone")
def _asset_tombstone(sender, instance, **kwargs):
    """Remember a deleted asset, inside the deleting transaction."""
    DeletedAsset.objects.get_or_create(id=instance.pk)
