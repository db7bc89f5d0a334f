"""Recall of the look-alike lookup: every pair within the threshold is found.

The bands are probed at one bit (imaging.analysis.perceptual.probes); a hash up to
THRESHOLD bits away always shares a probed band value, however its differing
bits fall across the bands. The kept pairs (AssetLookalike) and counts must
equal a brute-force comparison of every two live hashes, after any order of
writes, a Trash and a restore, a changed hash, and migration 0017.
"""

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.seed import asset_rows
from transcoder import services
from transcoder.imaging.analysis import perceptual
from transcoder.models import Asset, AssetHashBand, AssetLookalike
from transcoder.services.library.duplicates import asset_hash_set

BITS = 64


def _found(a, b):
    """Tell whether the band probes of ``a`` reach ``b``."""
    mine = perceptual.bands(b)
    return any(mine[band] in values for band, values in perceptual.probes(a))


def _spread(value, k):
    """Flip ``k`` bits of ``value``, as evenly over the bands as can be: the
    hardest case for a banded lookup (two bits in a band hide it from a probe)."""
    starts = list(itertools.accumulate((0, *perceptual.BAND_WIDTHS)))
    for j in range(k):
        band, offset = j % len(perceptual.BAND_WIDTHS), j // len(perceptual.BAND_WIDTHS)
        value ^= 1 << (BITS - 1 - starts[band] - offset)
    return value


@given(
    st.integers(0, 2**BITS - 1),
    st.sets(st.integers(0, BITS - 1), max_size=perceptual.THRESHOLD),
)
def test_probes_reach_every_hash_within_the_threshold(value, flipped):
    """Whatever bits differ, up to THRESHOLD of them, a probed band matches."""
    other = value
    for bit in flipped:
        other ^= 1 << bit
    assert _found(value, other)


@pytest.mark.parametrize("k", range(perceptual.THRESHOLD + 2))
def test_spread_differences_are_found_up_to_the_threshold_only(k):
    """Bits spread over every band: found up to THRESHOLD; one more (two bits in
    every band) escapes the probes, so the bands are as narrow as they can be."""
    value = 0x9E3779B97F4A7C15
    other = _spread(value, k)
    assert perceptual.distance(value, other) == k
    assert _found(value, other) == (k <= perceptual.THRESHOLD)


def _hashes():
    """Hashes around two centres, spread and at random, and lone ones."""
    rng = random.Random(19)
    found = []
    for centre in (0x0123456789ABCDEF, 0xFEDCBA9876543210):
        found.append(centre)
        found += [_spread(centre, k) for k in (1, 4, 8, 9, 10, 12)]
        for k in (3, 6, 9, 11):
            bits = rng.sample(range(BITS), k)
            found.append(centre ^ sum(1 << b for b in bits))
    found += [rng.getrandbits(BITS) for _ in range(4)]
    return found


def _truth():
    """Brute force over every two live hashed assets: {(a, b): distance}."""
    values = {
        pk: perceptual.from_hex(h)
        for pk, h in Asset.objects.exclude(dhash="").values_list("pk", "dhash")
    }
    return {
        (a, b): perceptual.distance(values[a], values[b])
        for a, b in itertools.permutations(values, 2)
        if perceptual.distance(values[a], values[b]) <= perceptual.THRESHOLD
    }


def _assert_kept():
    truth = _truth()
    kept = {
        (a, b): d
        for a, b, d in AssetLookalike.objects.values_list("asset", "other", "distance")
    }
    assert kept == truth
    counts = dict(Asset.objects.values_list("pk", "near_duplicates"))
    for pk, count in counts.items():
        assert count == sum(1 for a, _ in truth if a == pk), pk
    for asset in Asset.objects.exclude(dhash=""):
        listed = {(o.pk, d) for o, d in services.near_duplicates(asset=asset)}
        assert listed == {(b, d) for (a, b), d in truth.items() if a == asset.pk}
    return truth


@pytest.mark.django_db
def test_every_pair_within_the_threshold_is_kept():
    """Hashed in a shuffled order, then trashed, restored and changed: the kept
    pairs, counts and lists are the brute-force ones throughout."""
    hashes = _hashes()
    assets = asset_rows(len(hashes))
    order = list(zip(assets, hashes, strict=True))
    random.Random(5).shuffle(order)
    for asset, value in order:
        asset_hash_set(asset=asset, dhash=perceptual.to_hex(value))
    truth = _assert_kept()
    # Not vacuous: spread pairs at 8 and 9 bits, and random ones, are among them.
    assert {8, 9} <= set(truth.values())
    assert len(truth) >= 2 * 20
    assert AssetHashBand.objects.count() == len(hashes) * len(perceptual.BAND_WIDTHS)

    centre = Asset.objects.get(pk=assets[0].pk)
    services.asset_delete(asset=centre)
    _assert_kept()
    assert not AssetLookalike.objects.filter(other=centre).exists()
    services.asset_restore(asset=Asset.all_objects.get(pk=centre.pk))
    assert _assert_kept() == truth

    moved = Asset.objects.get(pk=assets[1].pk)
    asset_hash_set(asset=moved, dhash=perceptual.to_hex(hashes[-1] ^ 0b101))
    _assert_kept()


@pytest.mark.django_db(transaction=True)
def test_migration_0022_writes_five_bands_and_the_pairs():
    """A library hashed under the ten bands comes out of 0022 with five band
    rows an asset and the brute-force pairs; a trashed asset gets neither."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    executor = MigrationExecutor(connection)
    before = [("transcoder", "0021_changes_webhooks")]
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        hashes = _hashes()
        assets = asset_rows(len(hashes) + 1, old.get_model("transcoder", "Asset"))
        values = {a.pk: v for a, v in zip(assets, hashes, strict=False)}
        trashed = assets[-1]
        values[trashed.pk] = hashes[0] ^ 1  # A look-alike of the first, trashed.
        ten = (7, 7, 7, 7, 6, 6, 6, 6, 6, 6)
        Band = old.get_model("transcoder", "AssetHashBand")
        for pk, value in values.items():
            near = sum(
                1
                for other, v in values.items()
                if other not in (pk, trashed.pk)
                and perceptual.distance(value, v) <= perceptual.THRESHOLD
            )
            Asset.all_objects.filter(pk=pk).update(
                dhash=perceptual.to_hex(value),
                near_duplicates=0 if pk == trashed.pk else near,
            )
            if pk != trashed.pk:
                Band.objects.bulk_create(
                    Band(asset_id=pk, band=n, value=part)
                    for n, part in enumerate(_split(value, ten))
                )
        Asset.all_objects.filter(pk=trashed.pk).update(trashed_at=timezone.now())
    finally:
        MigrationExecutor(connection).migrate(latest)
    bands = {}
    rows = AssetHashBand.objects.values_list("asset", "band", "value", "hash")
    for pk, band, value, whole in rows:
        bands.setdefault(pk, {})[band] = value
        assert perceptual.from_signed(whole) == values[pk]
    assert trashed.pk not in bands
    assert bands == {
        pk: dict(enumerate(perceptual.bands(v)))
        for pk, v in values.items()
        if pk != trashed.pk
    }
    assert len(_assert_kept()) >= 2 * 20


def _split(value, widths):
    out, shift = [], BITS
    for width in widths:
        shift -= width
        out.append((value >> shift) & ((1 << width) - 1))
    return out
