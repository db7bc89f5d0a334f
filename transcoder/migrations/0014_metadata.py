"""Assets keep what their file said about itself: caption, creator, credit,
copyright, capture date and camera (see services.assets.metadata).

Only columns are added, all blank or null: no existing asset is read or
rewritten here. Older assets keep blank fields until their file is replaced.
The text fields are searched as titles are, so on PostgreSQL they get the same
trigram indexes (see 0008_scale).
"""

import importlib

from django.db import migrations, models

TRIGRAM_COLUMNS = ["caption", "creator", "credit", "copyright", "camera"]
scale = importlib.import_module("transcoder.migrations.0008_scale")


class Migration(migrations.Migration):

    dependencies = [
        ('transcoder', '0012_scale_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='asset',
            name='camera',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name='asset',
            name='caption',
            field=models.CharField(blank=True, max_length=2000),
        ),
        migrations.AddField(
            model_name='asset',
            name='captured_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='capture date'),
        ),
        migrations.AddField(
            model_name='asset',
            name='copyright',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='asset',
            name='creator',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name='asset',
            name='credit',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.RunPython(*scale.trigram_runner(TRIGRAM_COLUMNS)),
    ]
