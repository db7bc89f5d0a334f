"""Compute the perceptual hash of assets stored before hashes were kept."""

from django.core.files.storage import storages
from django.core.management.base import BaseCommand

from transcoder.conf import image_limits
from transcoder.models import Asset
from transcoder.services.library.duplicates import asset_hash_set, dhash_of


class Command(BaseCommand):
    help = "Store the perceptual hash of every asset that has none yet."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=200, help="Assets read per query."
        )

    def handle(self, *args, batch=200, **options):
        storage = storages["default"]
        done = failed = 0
        last = None
        while True:
            page = Asset.objects.filter(dhash="").order_by("pk")
            if last is not None:
                page = page.filter(pk__gt=last)
            page = list(page[:batch])
            if not page:
                break
            for asset in page:
                last = asset.pk
                try:
                    with storage.open(asset.original, "rb") as f:
                        data = f.read(image_limits().max_bytes + 1)
                except OSError as e:
                    self.stderr.write(f"{asset.pk}: cannot read the original: {e}")
                    failed += 1
                    continue
                dhash = dhash_of(data)
                if not dhash:
                    failed += 1
                    continue
                asset_hash_set(asset=asset, dhash=dhash)
                done += 1
        self.stdout.write(f"{done} hashed, {failed} not hashed.")
