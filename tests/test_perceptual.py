"""Near duplicates: the difference hash, the band lookup, the kept counts."""

import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from PIL import Image

from tests.conftest import SHARED_DIR
from transcoder import perceptual, services
from transcoder.models import Asset, AssetHashBand

PHOTOS = sorted((SHARED_DIR / "bench" / "photos").glob("*"))
needs_photos = pytest.mark.skipif(not PHOTOS, reason="benchmark photos missing")


def _jpeg(image, quality=85):
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _edited(data, edit):
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")
        w, h = image.size
        if edit == "resize":
            return _jpeg(image.resize((w // 3, h // 3)))
        if edit == "recompress":
            return _jpeg(image, quality=35)
        dx, dy = int(w * 0.02), int(h * 0.02)
        return _jpeg(image.crop((dx, dy, w - dx, h - dy)))


def test_perceptual_imports_no_django():
    """The hash module runs without Django (it is small enough for Lambda)."""
    code = (
        "import sys, transcoder.perceptual; "
        "print(any(m.startswith('django') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, [0] * 10), ((1 << 64) - 1, [127] * 4 + [63] * 6), (1, [0] * 9 + [1])],
)
def test_bands_cover_all_64_bits(value, expected):
    """The ten bands split the hash without gaps or overlaps."""
    assert perceptual.bands(value) == expected


def test_refuses_bytes_that_are_no_image():
    """Undecodable bytes raise PerceptualError."""
    with pytest.raises(perceptual.PerceptualError, match="Could not hash"):
        perceptual.dhash_bytes(b"not an image")


@needs_photos
@pytest.mark.parametrize("edit", ["resize", "recompress", "crop"])
@pytest.mark.parametrize("photo", PHOTOS[:4], ids=lambda p: p.name)
def test_edited_copies_stay_within_the_threshold(photo, edit):
    """Resized, recompressed and 2%-cropped copies count as near duplicates."""
    data = photo.read_bytes()
    near = perceptual.distance(
        perceptual.dhash_bytes(data), perceptual.dhash_bytes(_edited(data, edit))
    )
    assert near <= perceptual.THRESHOLD


@needs_photos
def test_different_photos_are_far_apart():
    """No two different benchmark photos are within the threshold."""
    hashes = [perceptual.dhash_bytes(p.read_bytes()) for p in PHOTOS]
    closest = min(
        perceptual.distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]
    )
    assert closest > perceptual.THRESHOLD


@needs_photos
@pytest.mark.django_db(transaction=True)
def test_upload_stores_the_hash_and_counts_look_alikes(presets):
    """A resized copy is listed as similar, and both counts move; delete undoes."""
    data = PHOTOS[0].read_bytes()
    first = services.asset_create(content=data, queue_renditions=False)
    other = services.asset_create(
        content=PHOTOS[1].read_bytes(), queue_renditions=False
    )
    copy = services.asset_create(
        content=_edited(data, "resize"), queue_renditions=False
    )
    assert len(first.dhash) == 16
    assert AssetHashBand.objects.filter(asset=first).count() == 10
    similar = services.near_duplicates(asset=Asset.objects.get(pk=first.pk))
    assert [a.pk for a, _ in similar] == [copy.pk]
    counts = dict(Asset.objects.values_list("pk", "near_duplicates"))
    assert (counts[first.pk], counts[copy.pk], counts[other.pk]) == (1, 1, 0)
    services.asset_delete(asset=Asset.objects.get(pk=copy.pk))
    assert Asset.objects.get(pk=first.pk).near_duplicates == 0


@needs_photos
@pytest.mark.django_db(transaction=True)
def test_list_filter_and_backfill(admin_client, presets):
    """backfill_dhash hashes old assets; the list filters "has near duplicates"."""
    data = PHOTOS[2].read_bytes()
    a = services.asset_create(content=data, queue_renditions=False)
    b = services.asset_create(
        content=_edited(data, "recompress"), queue_renditions=False
    )
    services.asset_create(content=PHOTOS[3].read_bytes(), queue_renditions=False)
    Asset.objects.update(dhash="", near_duplicates=0)
    AssetHashBand.objects.all().delete()
    call_command("backfill_dhash", stdout=io.StringIO())
    assert not Asset.objects.filter(dhash="").exists()
    response = admin_client.get("/admin/transcoder/asset/?near_duplicates=yes")
    listed = {x.pk for x in response.context["cl"].result_list}
    assert listed == {a.pk, b.pk}
    page = admin_client.get(f"/admin/transcoder/asset/{a.pk}/change/")
    assert "Similar images" in page.content.decode()
    assert f"/admin/transcoder/asset/{b.pk}/change/" in page.content.decode()
