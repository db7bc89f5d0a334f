"""Remove objects and rows nothing needs any more, once their lifetimes are over."""

from django.core.management.base import BaseCommand

from transcoder import services


class Command(BaseCommand):
    help = (
        "Delete superseded renditions and rendition objects no row refers to once "
        "MEDIAHUB_URL_TTL has passed, stale direct uploads, and originals without "
        "an asset."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what would be deleted and delete nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        plan = services.orphans_purge(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for _alias, name, why in plan:
            self.stdout.write(f"{verb} {name} ({why})")
        summary = f"{verb.capitalize()} {len(plan)} object(s)."
        self.stdout.write(self.style.SUCCESS(summary) if plan else summary)
