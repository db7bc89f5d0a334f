# ruff: noqa: S608 - the SQL is put together from this module's constants only.
"""The library at a million assets: partial indexes in list order, and totals.

The partial indexes serve the rare kinds the list and the media home look
for (failed, look-alikes, missing alt text) and a collection-limited reader's
list. On PostgreSQL, statement-level triggers keep CollectionTotals and
TagTotals (see transcoder.models.totals) whatever writes the rows, and the
totals are worked out once here for an existing library. SQLite aggregates
live instead: nothing of this runs there.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TOTALS = "transcoder_collectiontotals"
TAGS = "transcoder_tagtotals"
MISSING_ALT = "CASE WHEN {t}.alt_text = '' AND NOT {t}.decorative THEN 1 ELSE 0 END"
FAILED = (
    "CASE WHEN {t}.rendition_state IN ('failed', 'failed_pending') THEN 1 ELSE 0 END"
)


def _add_totals(select):
    """Add the rows of ``select`` (collection, five sums) to the totals."""
    return f"""
    INSERT INTO {TOTALS} AS t (collection_id, assets, original_bytes,
        rendition_bytes, missing_alt, failed)
    SELECT * FROM ({select}) AS d ORDER BY 1
    ON CONFLICT (collection_id) DO UPDATE SET
        assets = t.assets + EXCLUDED.assets,
        original_bytes = t.original_bytes + EXCLUDED.original_bytes,
        rendition_bytes = t.rendition_bytes + EXCLUDED.rendition_bytes,
        missing_alt = t.missing_alt + EXCLUDED.missing_alt,
        failed = t.failed + EXCLUDED.failed;
    """


def _add_tags(select):
    """Add the rows of ``select`` (collection, tag, count) to the tag totals."""
    return f"""
    INSERT INTO {TAGS} AS t (collection_id, tag_id, assets)
    SELECT * FROM ({select}) AS d ORDER BY 1, 2
    ON CONFLICT (collection_id, tag_id) DO UPDATE SET
        assets = t.assets + EXCLUDED.assets;
    """


# ``live``: count only assets not in the Trash (migration 0016 reinstalls the
# functions so; before 0015 there is no Trash to leave out).
def _live(alias, live):
    return f" AND {alias}.trashed_at IS NULL" if live else ""


def _assets(rows, sign, live=False):
    return (
        f"SELECT a.collection_id, {sign} * count(*), {sign} * sum(a.bytes), 0,"
        f" {sign} * sum({MISSING_ALT.format(t='a')}),"
        f" {sign} * sum({FAILED.format(t='a')})"
        f" FROM {rows} a WHERE TRUE{_live('a', live)} GROUP BY a.collection_id"
    )


def _renditions(rows, sign, live=False):
    return (
        f"SELECT a.collection_id, 0, 0, {sign} * coalesce(sum(r.bytes), 0), 0, 0"
        f" FROM {rows} r JOIN transcoder_asset a ON a.id = r.asset_id{_live('a', live)}"
        " GROUP BY a.collection_id"
    )


def _tagged(rows, sign, live=False):
    return (
        f"SELECT a.collection_id, x.tag_id, {sign} * count(*)"
        f" FROM {rows} x JOIN transcoder_asset a ON a.id = x.content_object_id"
        f"{_live('a', live)} GROUP BY a.collection_id, x.tag_id"
    )


def _moved(live):
    """Rows of an asset UPDATE that take its renditions' bytes and tags along:
    a move to another collection, and (``live``) a move into or out of the
    Trash. Each side counts only where it is live."""
    differ = "n.collection_id <> o.collection_id"
    if live:
        differ += " OR (n.trashed_at IS NULL) <> (o.trashed_at IS NULL)"
    moved = f"old_rows o JOIN new_rows n ON n.id = o.id AND ({differ})"
    renditions = (
        "SELECT c, 0, 0, sum(b), 0, 0 FROM ("
        f" SELECT o.collection_id AS c, -coalesce(sum(r.bytes), 0) AS b FROM {moved}"
        f"  JOIN transcoder_rendition r ON r.asset_id = o.id{_live('o', live)}"
        "  GROUP BY 1"
        " UNION ALL"
        f" SELECT n.collection_id, coalesce(sum(r.bytes), 0) FROM {moved}"
        f"  JOIN transcoder_rendition r ON r.asset_id = n.id{_live('n', live)}"
        "  GROUP BY 1"
        ") AS m GROUP BY c"
    )
    tags = (
        "SELECT c, tag, sum(k) FROM ("
        f" SELECT o.collection_id AS c, x.tag_id AS tag, -count(*) AS k FROM {moved}"
        f"  JOIN transcoder_taggedasset x ON x.content_object_id = o.id"
        f"{_live('o', live)} GROUP BY 1, 2"
        " UNION ALL"
        f" SELECT n.collection_id, x.tag_id, count(*) FROM {moved}"
        f"  JOIN transcoder_taggedasset x ON x.content_object_id = n.id"
        f"{_live('n', live)} GROUP BY 1, 2"
        ") AS m GROUP BY c, tag"
    )
    return renditions, tags


def _changed(side, columns):
    """Return the ``side`` rows (o: old, n: new) of an UPDATE that changed
    ``columns``: an update of anything else adds nothing up."""
    differ = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in columns)
    return (
        f"(SELECT {side}.* FROM old_rows o JOIN new_rows n ON n.id = o.id"
        f" WHERE {differ})"
    )


ASSET_COLUMNS = ["collection_id", "bytes", "alt_text", "decorative", "rendition_state"]
RENDITION_COLUMNS = ["asset_id", "bytes"]


def functions(live=False):
    """Return the trigger functions' bodies by name."""
    columns = ASSET_COLUMNS + (["trashed_at"] if live else [])
    moved_renditions, moved_tags = _moved(live)
    return {
        "mediahub_asset_totals": f"""
        IF TG_OP = 'INSERT' THEN
            {_add_totals(_assets("new_rows", 1, live))}
        ELSIF TG_OP = 'DELETE' THEN
            {_add_totals(_assets("old_rows", -1, live))}
        ELSE
            {_add_totals(_assets(_changed("o", columns), -1, live))}
            {_add_totals(_assets(_changed("n", columns), 1, live))}
            {_add_totals(moved_renditions)}
            {_add_tags(moved_tags)}
        END IF;
    """,
        "mediahub_rendition_totals": f"""
        IF TG_OP = 'INSERT' THEN
            {_add_totals(_renditions("new_rows", 1, live))}
        ELSIF TG_OP = 'DELETE' THEN
            {_add_totals(_renditions("old_rows", -1, live))}
        ELSE
            {_add_totals(_renditions(_changed("o", RENDITION_COLUMNS), -1, live))}
            {_add_totals(_renditions(_changed("n", RENDITION_COLUMNS), 1, live))}
        END IF;
    """,
        "mediahub_tagged_totals": f"""
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            {_add_tags(_tagged("old_rows", -1, live))}
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            {_add_tags(_tagged("new_rows", 1, live))}
        END IF;
    """,
    }


TABLES = {
    "transcoder_asset": "mediahub_asset_totals",
    "transcoder_rendition": "mediahub_rendition_totals",
    "transcoder_taggedasset": "mediahub_tagged_totals",
}


def install_totals(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    create_functions(execute)
    for table, function in TABLES.items():
        # One trigger per event: a trigger with transition tables has one.
        for event, referencing in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ):
            label = event.lower()
            execute(
                f"CREATE TRIGGER {function}_{label} AFTER {event} ON {table}"
                f" REFERENCING {referencing} FOR EACH STATEMENT"
                f" EXECUTE FUNCTION {function}()"
            )
    sum_totals(execute)


def create_functions(execute, live=False):
    """Create (or replace) the trigger functions."""
    for name, body in functions(live).items():
        execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger"
            f" LANGUAGE plpgsql AS $body$ BEGIN {body} RETURN NULL; END $body$"
        )


def sum_totals(execute, live=False):
    """Work the totals out again from every row (here, and after a bulk load
    made with the triggers off, such as the scale benchmark's seed)."""
    execute(f"DELETE FROM {TOTALS}")
    execute(f"DELETE FROM {TAGS}")
    execute(_add_totals(_assets("transcoder_asset", 1, live)))
    execute(_add_totals(_renditions("transcoder_rendition", 1, live)))
    execute(_add_tags(_tagged("transcoder_taggedasset", 1, live)))


def drop_totals(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, function in TABLES.items():
        for label in ("insert", "delete", "update"):
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {function}_{label} ON {table}"
            )
    for name in functions():
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [
        (
            "taggit",
            "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx",
        ),
        ("transcoder", "0011_upload_refusals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CollectionTotals",
            fields=[
                (
                    "collection",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="totals",
                        serialize=False,
                        to="transcoder.collection",
                    ),
                ),
                ("assets", models.BigIntegerField(default=0)),
                ("original_bytes", models.BigIntegerField(default=0)),
                ("rendition_bytes", models.BigIntegerField(default=0)),
                ("missing_alt", models.BigIntegerField(default=0)),
                ("failed", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "collection totals",
                "verbose_name_plural": "collection totals",
            },
        ),
        migrations.CreateModel(
            name="TagTotals",
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
                ("assets", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "tag totals",
                "verbose_name_plural": "tag totals",
            },
        ),
        migrations.AddIndex(
            model_name="asset",
            index=models.Index(
                fields=["collection", "created_at", "id"],
                name="asset_collection_created",
            ),
        ),
        migrations.AddIndex(
            model_name="asset",
            index=models.Index(
                condition=models.Q(
                    ("rendition_state__in", ["failed", "failed_pending"])
                ),
                fields=["created_at", "id"],
                name="asset_failed_created",
            ),
        ),
        migrations.AddIndex(
            model_name="asset",
            index=models.Index(
                condition=models.Q(("near_duplicates__gt", 0)),
                fields=["created_at", "id"],
                name="asset_lookalike_created",
            ),
        ),
        migrations.AddIndex(
            model_name="asset",
            index=models.Index(
                condition=models.Q(("alt_text", ""), ("decorative", False)),
                fields=["created_at", "id"],
                name="asset_missing_alt_created",
            ),
        ),
        migrations.AddField(
            model_name="tagtotals",
            name="collection",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="transcoder.collection",
            ),
        ),
        migrations.AddField(
            model_name="tagtotals",
            name="tag",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="taggit.tag",
            ),
        ),
        migrations.AddConstraint(
            model_name="tagtotals",
            constraint=models.UniqueConstraint(
                fields=("collection", "tag"), name="tagtotals_unique"
            ),
        ),
        migrations.RunPython(install_totals, drop_totals),
    ]
