"""Assets keep what their file said about itself: caption, creator, credit,
copyright, capture date and camera (see services.metadata).

Only columns are added, all blank or null: no existing asset is read or
rewritten here. Older assets keep blank fields until their file is replaced.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('transcoder', '0011_upload_refusals'),
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
    ]
