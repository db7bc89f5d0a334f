"""Refused uploads are recorded; scheduled jobs keep cursors to resume from."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('transcoder', '0010_one_job_model'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ScheduledCursor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=50, unique=True)),
                ('marker', models.TextField(blank=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name='UploadRefusal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=255, unique=True, verbose_name='upload key')),
                ('filename', models.CharField(blank=True, max_length=255, verbose_name='file name')),
                ('reason', models.TextField(verbose_name='reason')),
                ('code', models.CharField(blank=True, max_length=40, verbose_name='code')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='refused at')),
                ('asset', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='transcoder.asset', verbose_name='image to replace')),
                ('collection', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='transcoder.collection', verbose_name='collection')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'refused upload',
                'verbose_name_plural': 'refused uploads',
                'ordering': ['-created_at', '-id'],
            },
        ),
    ]
