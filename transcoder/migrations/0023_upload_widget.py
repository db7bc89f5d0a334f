"""The upload widget: upload keys for sites, and the files they send awaiting review."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('transcoder', '0022_lookalike_pairs'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='UploadWidgetKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='Which site uses it.', max_length=100, verbose_name='name')),
                ('key', models.CharField(editable=False, max_length=40, unique=True)),
                ('allowed_origins', models.TextField(help_text='One origin a line, such as https://www.example.com.', verbose_name='allowed origins')),
                ('formats', models.CharField(default='jpeg png webp', help_text='Space-separated: jpeg png webp avif gif heif.', max_length=100, verbose_name='formats')),
                ('max_bytes', models.PositiveBigIntegerField(default=10485760, verbose_name='largest file (bytes)')),
                ('rate_per_hour', models.PositiveIntegerField(default=100, help_text='For the whole key.', verbose_name='uploads an hour')),
                ('rate_per_visitor', models.PositiveIntegerField(default=10, help_text='From one visitor address.', verbose_name='uploads an hour per visitor')),
                ('active', models.BooleanField(db_index=True, default=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('collection', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='transcoder.collection', verbose_name='collection')),
                ('created_by', models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'upload widget key',
            },
        ),
        migrations.CreateModel(
            name='WidgetUpload',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('state', models.CharField(choices=[('asked', 'asked'), ('pending', 'awaiting review'), ('approved', 'approved'), ('rejected', 'rejected'), ('refused', 'refused')], db_index=True, default='asked', max_length=10)),
                ('key', models.CharField(editable=False, max_length=255, unique=True)),
                ('filename', models.CharField(blank=True, max_length=255)),
                ('content_type', models.CharField(blank=True, max_length=100)),
                ('declared_size', models.PositiveBigIntegerField(blank=True, null=True)),
                ('format', models.CharField(blank=True, max_length=10)),
                ('size', models.PositiveBigIntegerField(blank=True, null=True)),
                ('width', models.PositiveIntegerField(blank=True, null=True)),
                ('height', models.PositiveIntegerField(blank=True, null=True)),
                ('visitor', models.GenericIPAddressField(blank=True, null=True)),
                ('origin', models.CharField(blank=True, max_length=200)),
                ('reason', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(db_index=True)),
                ('finalized_at', models.DateTimeField(blank=True, null=True)),
                ('moderated_at', models.DateTimeField(blank=True, null=True)),
                ('asset', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='transcoder.asset')),
                ('moderated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('widget_key', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='uploads', to='transcoder.uploadwidgetkey')),
            ],
            options={
                'verbose_name': 'widget upload',
                'verbose_name_plural': 'uploads awaiting review',
                'ordering': ['created_at'],
                'indexes': [models.Index(fields=['widget_key', 'created_at'], name='widget_upload_rate')],
            },
        ),
    ]
