"""Look-alikes at a million assets: wider hash bands and the kept pairs.

The perceptual hash's bands go from ten of 6-7 bits (a band value shared by
one hash in 64 to 128) to five of 12-13 bits probed with their one-bit
neighbours (shared by one in 4,096 to 8,192; see imaging.analysis.perceptual). Every
live asset's band rows are written again, a batch of assets at a time. The
look-alike pairs are then worked out once among the assets whose kept count
says they have one, and kept from now on with the hashes
(services.library.duplicates). Each band row holds the whole hash too, and on
PostgreSQL the (band, value) index includes it and the asset's id, so a
lookup reads the index alone. Reversing writes the ten bands again.

The widths are copied here, as they were and are, so that this migration
does the same work whatever the code says later.
"""

import django.db.models.deletion
from django.db import migrations, models

TEN_BANDS = (7, 7, 7, 7, 6, 6, 6, 6, 6, 6)
FIVE_BANDS = (13, 13, 13, 13, 12)
THRESHOLD = 9
BATCH = 2000


def _bands(value, widths):
    out, shift = [], 64
    for width in widths:
        shift -= width
        out.append((value >> shift) & ((1 << width) - 1))
    return out


def _signed(value):
    return value - (1 << 64) if value >= 1 << 63 else value


def _covering_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Rows written earlier in this transaction leave deferred foreign-key
        # checks pending, and PostgreSQL will not index a table that has any.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("DROP INDEX IF EXISTS hashband_lookup")
        schema_editor.execute(
            "CREATE INDEX hashband_lookup ON transcoder_assethashband"
            " (band, value) INCLUDE (asset_id, hash)"
        )


def _plain_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("DROP INDEX IF EXISTS hashband_lookup")
        schema_editor.execute(
            "CREATE INDEX hashband_lookup ON transcoder_assethashband (band, value)"
        )


def _live_hashed(apps):
    Asset = apps.get_model("transcoder", "Asset")
    return Asset.objects.filter(trashed_at__isnull=True).exclude(dhash="")


def _rewrite_bands(apps, widths):
    Band = apps.get_model("transcoder", "AssetHashBand")
    hashed = _live_hashed(apps).order_by("pk")
    rows = list(hashed.values_list("pk", "dhash")[:BATCH])
    while rows:
        ids = [pk for pk, _ in rows]
        Band.objects.filter(asset_id__in=ids).delete()
        Band.objects.bulk_create(
            Band(asset_id=pk, band=band, value=part, hash=_signed(int(dhash, 16)))
            for pk, dhash in rows
            for band, part in enumerate(_bands(int(dhash, 16), widths))
        )
        rows = list(hashed.filter(pk__gt=ids[-1]).values_list("pk", "dhash")[:BATCH])


def _pairs(apps):
    """Pair the assets with a kept look-alike count (few: both of a pair have one)."""
    Lookalike = apps.get_model("transcoder", "AssetLookalike")
    flagged = dict(
        _live_hashed(apps).filter(near_duplicates__gt=0).values_list("pk", "dhash")
    )
    values = {pk: int(dhash, 16) for pk, dhash in flagged.items()}
    buckets = {}
    for pk, value in values.items():
        for band, part in enumerate(_bands(value, FIVE_BANDS)):
            buckets.setdefault((band, part), []).append(pk)
    found = set()
    for pk, value in values.items():
        for band, part in enumerate(_bands(value, FIVE_BANDS)):
            probes = [part] + [part ^ (1 << bit) for bit in range(FIVE_BANDS[band])]
            for probe in probes:
                for other in buckets.get((band, probe), ()):
                    d = (value ^ values[other]).bit_count()
                    if other != pk and d <= THRESHOLD:
                        found.add((pk, other, d))
    Lookalike.objects.bulk_create(
        (Lookalike(asset_id=a, other_id=b, distance=d) for a, b, d in found),
        batch_size=BATCH,
    )


def forwards(apps, schema_editor):
    _rewrite_bands(apps, FIVE_BANDS)
    _pairs(apps)


def backwards(apps, schema_editor):
    _rewrite_bands(apps, TEN_BANDS)


class Migration(migrations.Migration):
    dependencies = [
        ("transcoder", "0021_changes_webhooks"),
    ]

    operations = [
        migrations.CreateModel(
            name="AssetLookalike",
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
                ("distance", models.PositiveSmallIntegerField()),
                (
                    "asset",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lookalikes",
                        to="transcoder.asset",
                    ),
                ),
                (
                    "other",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lookalike_of",
                        to="transcoder.asset",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("asset", "other"), name="lookalike_unique"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="assethashband",
            name="hash",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(_covering_index, _plain_index),
        migrations.RunPython(forwards, backwards),
    ]
