"""The kept totals leave the Trash out, as every list and count does.

On PostgreSQL the trigger functions of 0012 are replaced by ones that count
only assets not in the Trash, and that move an asset's rendition bytes and
tags out of its collection's totals when it is trashed and back on restore;
the totals are then worked out again. SQLite keeps no totals.
"""

import importlib

from django.db import migrations

scale = importlib.import_module("transcoder.migrations.0012_scale_indexes")


def live_totals(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    scale.create_functions(schema_editor.execute, live=True)
    scale.sum_totals(schema_editor.execute, live=True)


def all_totals(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    scale.create_functions(schema_editor.execute)
    scale.sum_totals(schema_editor.execute)


class Migration(migrations.Migration):
    dependencies = [("transcoder", "0015_trash")]

    operations = [migrations.RunPython(live_totals, all_totals)]
