"""Seed the starter presets on a fresh database: `migrate` alone gives a library."""

from django.db import migrations


def seed(apps, schema_editor):
    from transcoder.starter_presets import STARTER_PRESETS

    Preset = apps.get_model("transcoder", "Preset")
    if Preset.objects.using(schema_editor.connection.alias).exists():
        return
    Preset.objects.using(schema_editor.connection.alias).bulk_create(
        Preset(**fields) for fields in STARTER_PRESETS
    )


class Migration(migrations.Migration):
    dependencies = [("transcoder", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
