"""The library at scale: a rendition state per asset, list indexes, trigram search.

The trigram indexes exist on PostgreSQL only (SQLite has no pg_trgm): they are
on UPPER(column), the expression Django's icontains compares on PostgreSQL.
"""

from django.db import migrations, models
from django.db.models import Case, Exists, OuterRef, Q, Value, When

TRIGRAM_COLUMNS = ["title", "alt_text", "original_filename"]


def trigram_runner(columns):
    """Return the RunPython pair that makes and drops trigram indexes on
    ``columns`` of the asset table, on PostgreSQL only (0014 uses it too)."""

    def make(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in columns:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS asset_{column}_trgm ON transcoder_asset "
                f"USING gin (UPPER({column}::text) gin_trgm_ops)"
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for column in columns:
            schema_editor.execute(f"DROP INDEX IF EXISTS asset_{column}_trgm")

    return make, drop


trigram_indexes, drop_trigram_indexes = trigram_runner(TRIGRAM_COLUMNS)


def backfill_states(apps, schema_editor):
    """The same rule as services.rendering.states, on the historical models."""
    Asset = apps.get_model("transcoder", "Asset")
    Preset = apps.get_model("transcoder", "Preset")
    Rendition = apps.get_model("transcoder", "Rendition")
    current = Rendition.objects.filter(
        asset=OuterRef("pk"), superseded_at__isnull=True, preset__active=True
    )
    failed = Exists(current.filter(status="failed"))
    pending = Exists(current.filter(status="pending"))
    covered = Rendition.objects.filter(
        asset=OuterRef(OuterRef("pk")),
        preset=OuterRef("pk"),
        superseded_at__isnull=True,
    )
    missing = Exists(Preset.objects.filter(active=True).exclude(Exists(covered)))
    waiting = Q(pending) | Q(missing)
    Asset.objects.update(
        rendition_state=Case(
            When(Q(failed) & waiting, then=Value("failed_pending")),
            When(failed, then=Value("failed")),
            When(waiting, then=Value("pending")),
            default=Value("ready"),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("transcoder", "0007_tags"),
    ]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="rendition_state",
            field=models.CharField(
                choices=[
                    ("ready", "All ready"),
                    ("pending", "Some pending"),
                    ("failed", "Some failed"),
                    ("failed_pending", "Some failed, some pending"),
                ],
                default="pending",
                editable=False,
                max_length=16,
            ),
        ),
        migrations.RunPython(backfill_states, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="asset",
            index=models.Index(fields=["created_at", "id"], name="asset_created_id"),
        ),
        migrations.AddIndex(
            model_name="asset",
            index=models.Index(
                fields=["rendition_state", "created_at", "id"],
                name="asset_state_created",
            ),
        ),
        migrations.AddIndex(
            model_name="asset",
            index=models.Index(
                fields=["format", "created_at", "id"], name="asset_format_created"
            ),
        ),
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
    ]
