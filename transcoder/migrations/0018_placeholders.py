"""Placeholders: each asset's ThumbHash and dominant colour.

Blank for assets made before; ``manage.py placeholders`` fills them in bounded
batches from each asset's smallest stored rendition (no data migration: that
would decode every image inside the deploy).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transcoder", "0017_publishable_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="thumbhash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="asset",
            name="dominant_colour",
            field=models.CharField(blank=True, editable=False, max_length=7),
        ),
    ]
