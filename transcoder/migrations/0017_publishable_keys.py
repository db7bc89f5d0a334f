"""Publishable read keys, and one sliding-window rate table for tokens and keys
(ApiRateWindow, one row per token and minute, is replaced by RateWindow)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transcoder", "0016_trash_totals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PublishableKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "name",
                    models.CharField(help_text="Which site uses it.", max_length=100),
                ),
                ("key", models.CharField(editable=False, max_length=40, unique=True)),
                (
                    "allowed_origins",
                    models.TextField(
                        help_text="One origin a line, such as https://www.example.com. Only pages on these origins may use the key."
                    ),
                ),
                ("active", models.BooleanField(db_index=True, default=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "last_used_at",
                    models.DateTimeField(blank=True, editable=False, null=True),
                ),
                (
                    "revoked_at",
                    models.DateTimeField(blank=True, editable=False, null=True),
                ),
            ],
            options={
                "verbose_name": "publishable key",
            },
        ),
        migrations.CreateModel(
            name="RateWindow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("bucket", models.CharField(max_length=80)),
                ("minute", models.BigIntegerField(db_index=True)),
                ("count", models.IntegerField(default=0)),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="apiratewindow",
            name="api_rate_window_unique",
        ),
        migrations.AddField(
            model_name="publishablekey",
            name="collections",
            field=models.ManyToManyField(
                help_text="The key reads only images in these collections (and the ones below them) that its creator may view.",
                related_name="+",
                to="transcoder.collection",
            ),
        ),
        migrations.AddField(
            model_name="publishablekey",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="ratewindow",
            constraint=models.UniqueConstraint(
                fields=("bucket", "minute"), name="rate_window_unique"
            ),
        ),
        migrations.DeleteModel(
            name="ApiRateWindow",
        ),
    ]
