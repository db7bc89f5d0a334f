"""Fill the placeholders of assets stored before placeholders were kept."""

from django.core.management.base import BaseCommand

from transcoder.services.rendering.placeholders import placeholders_fill


class Command(BaseCommand):
    help = (
        "Store the ThumbHash and dominant colour of every asset that has none, "
        "from its smallest rendition, in bounded batches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=200, help="Assets read per query."
        )

    def handle(self, *args, batch=200, **options):
        filled = skipped = 0
        last = None
        while True:
            done, passed, last = placeholders_fill(after=last, batch=batch)
            filled, skipped = filled + done, skipped + passed
            if last is None:
                break
        self.stdout.write(
            f"{filled} filled, {skipped} skipped (no ready rendition of the "
            "whole image yet: filled when it is built)."
        )
