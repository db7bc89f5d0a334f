"""Honour an erasure request: remove an asset and every version of its objects."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from transcoder import services
from transcoder.services.assets.objects import ErasureDeniedError


def _asset_id(value):
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"{value!r} is not an asset id.") from None


class Command(BaseCommand):
    help = (
        "Delete the given assets (if still there) and erase every version of their "
        "originals and renditions, delete markers included, so nothing is left to "
        "restore. Also works after a plain delete, while noncurrent versions remain."
    )

    def add_arguments(self, parser):
        parser.add_argument("asset_ids", nargs="+", type=_asset_id, metavar="ASSET_ID")

    def handle(self, *args, asset_ids, **options):
        for asset_id in asset_ids:
            try:
                erased = services.asset_erase(asset_id=asset_id, versions=True)
            except ErasureDeniedError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(f"{asset_id}: erased {len(erased)} object version(s)")
