"""Perceptual auto-quality: a preset's target, and each rendition's quality and score.

Presets that exist keep their fixed quality (a null target): switching them
would rebuild every rendition of the library at once. New presets default to
the target. A library with no images yet has nothing to rebuild, so its
starter presets, as seeded by 0002 and never changed, take the target too.
"""

import django.core.validators
from django.db import migrations, models

# Frozen here: what autoquality.DEFAULT_TARGET was when this ran.
TARGET = 65
# The starter presets' slugs and qualities as 0002 seeded them.
STARTERS = {"thumbnail": 80, "card": 80, "hero": 75, "large": 82, "social": 85}


def starters_take_target(apps, schema_editor):
    db = schema_editor.connection.alias
    Asset = apps.get_model("transcoder", "Asset")
    Preset = apps.get_model("transcoder", "Preset")
    if Asset._base_manager.using(db).exists():
        return
    for slug, quality in STARTERS.items():
        Preset.objects.using(db).filter(
            slug=slug, quality=quality, target__isnull=True
        ).update(target=TARGET)


def _target(**options):
    return models.PositiveSmallIntegerField(
        blank=True,
        null=True,
        validators=[
            django.core.validators.MinValueValidator(30),
            django.core.validators.MaxValueValidator(95),
        ],
        verbose_name="perceptual target",
        **options,
    )


class Migration(migrations.Migration):
    dependencies = [("transcoder", "0027_animation")]

    operations = [
        # Added without a default, so the rows that exist stay null...
        migrations.AddField(model_name="preset", name="target", field=_target()),
        # ...then the default that new presets get.
        migrations.AlterField(
            model_name="preset", name="target", field=_target(default=TARGET)
        ),
        migrations.AddField(
            model_name="rendition",
            name="quality",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="quality"
            ),
        ),
        migrations.AddField(
            model_name="rendition",
            name="score",
            field=models.FloatField(blank=True, null=True, verbose_name="score"),
        ),
        migrations.RunPython(starters_take_target, migrations.RunPython.noop),
    ]
