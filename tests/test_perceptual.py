"""Near duplicates: the difference hash, the band lookup, the kept counts."""

import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from PIL import Image

from tests.conftest import SHARED_DIR
from transcoder import services
from transcoder.imaging.analysis import perceptual
from transcoder.models import Asset, AssetHashBand, AssetLookalike

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
        "import sys, transcoder.imaging.analysis.perceptual; "
        "print(any(m.startswith('django') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, [0] * 5),
        ((1 << 64) - 1, [8191] * 4 + [4095]),
        (1, [0] * 4 + [1]),
        (1 << 63, [4096] + [0] * 4),
    ],
)
def test_bands_cover_all_64_bits(value, expected):
    """The five bands split the hash without gaps or overlaps."""
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
@pytest.mark.django_db
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
    assert AssetHashBand.objects.filter(asset=first).count() == 5
    similar = services.near_duplicates(asset=Asset.objects.get(pk=first.pk))
    assert [a.pk for a, _ in similar] == [copy.pk]
    counts = dict(Asset.objects.values_list("pk", "near_duplicates"))
    assert (counts[first.pk], counts[copy.pk], counts[other.pk]) == (1, 1, 0)
    services.asset_delete(asset=Asset.objects.get(pk=copy.pk))
    assert Asset.objects.get(pk=first.pk).near_duplicates == 0


@needs_photos
@pytest.mark.django_db
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
    AssetLookalike.objects.all().delete()
    call_command("backfill_dhash", stdout=io.StringIO())
    assert not Asset.objects.filter(dhash="").exists()
    response = admin_client.get("/admin/transcoder/asset/?near_duplicates=yes")
    listed = {x.pk for x in response.context["cl"].result_list}
    assert listed == {a.pk, b.pk}
    page = admin_client.get(f"/admin/transcoder/asset/{a.pk}/change/")
    assert "Similar images" in page.content.decode()
    assert f"/admin/transcoder/asset/{b.pk}/change/" in page.content.decode()


def _translucent(size=(700, 600)):
    """An RGBA image with every level of alpha, taller than one flatten band."""
    from PIL import ImageDraw

    image = Image.new("RGBA", size, (30, 90, 200, 0))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 7):
        draw.line([(x, 0), (size[0] - x, size[1])], fill=(x % 256, 120, 40, x % 256))
    return image


def test_flattening_in_bands_is_the_whole_image_flattened():
    """The banded flatten gives the grey pixels one full-size composite gives."""
    image = _translucent()
    assert image.height > perceptual.FLATTEN_ROWS
    flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
    flat.alpha_composite(image)
    assert perceptual._flat_grey(image).tobytes() == flat.convert("L").tobytes()


def test_a_turned_photo_hashes_like_its_upright_twin():
    """The hash is taken upright: EXIF orientation 6 is undone first."""
    upright = Image.open(PHOTOS[0]).convert("RGB").resize((480, 320))
    turned = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    turned.save(buffer, "JPEG", quality=92, exif=exif)
    plain = io.BytesIO()
    upright.save(plain, "JPEG", quality=92)
    near = perceptual.distance(
        perceptual.dhash_bytes(buffer.getvalue()),
        perceptual.dhash_bytes(plain.getvalue()),
    )
    assert near <= 2


def test_a_still_webp_is_hashed_from_one_decode(monkeypatch):
    """A still WebP is decoded by libwebp's simple decoder, to the same hash."""
    buffer = io.BytesIO()
    _translucent().save(buffer, "WEBP", quality=90)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as image:
        expected = perceptual.dhash_image(image)
    calls = []
    real = perceptual.webp.decode_still

    def counting(data, size):
        calls.append(size)
        return real(data, size)

    monkeypatch.setattr(perceptual.webp, "decode_still", counting)
    assert perceptual.dhash_bytes(data) == expected
    assert calls == [(700, 600)]
