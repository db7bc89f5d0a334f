"""Deleting moves an asset to the Trash (services.library.trash): when, by whom, and
whether its collection went meanwhile; a partial index on the trashed rows.

Only columns are added, all null or false: every existing asset stays live.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('taggit', '0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx'),
        ('transcoder', '0014_metadata'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='TrashedAsset',
            fields=[
            ],
            options={
                'verbose_name': 'trashed image',
                'verbose_name_plural': 'Trash',
                'ordering': ['-trashed_at', '-id'],
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('transcoder.asset',),
        ),
        migrations.AddField(
            model_name='asset',
            name='collection_lost',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name='asset',
            name='trashed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='asset',
            name='trashed_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='asset',
            index=models.Index(condition=models.Q(('trashed_at__isnull', False)), fields=['trashed_at'], name='asset_trashed_at'),
        ),
    ]
