"""Remove objects and rows nothing needs any more, once their lifetimes are over."""

from django.core.management.base import BaseCommand

from transcoder import services


class Command(BaseCommand):
    help = (
        "Delete superseded renditions and rendition objects no row refers to once "
        "MEDIAHUB_URL_TTL has passed, stale direct uploads that became an asset "
        "or a recorded refusal, and originals without an asset. Works in bounded "
        "invocations (MEDIAHUB_PURGE_BATCH, MEDIAHUB_PURGE_SECONDS) that go on "
        "from a stored cursor; by default until the pass is over."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what would be deleted and delete nothing.",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help=(
                "Run one bounded invocation and store where it stopped, as the "
                "scheduled purge does (default: until the pass is over)."
            ),
        )
        parser.add_argument(
            "--budget",
            type=int,
            default=None,
            help="Rows and listed objects per invocation (MEDIAHUB_PURGE_BATCH).",
        )

    def handle(self, *args, dry_run=False, once=False, budget=None, **options):
        plan = services.orphans_purge(
            dry_run=dry_run, budget=budget, until_done=not once
        )
        verb = "would delete" if dry_run else "deleted"
        for _alias, name, why in plan:
            self.stdout.write(f"{verb} {name} ({why})")
        summary = f"{verb.capitalize()} {len(plan)} object(s)."
        self.stdout.write(self.style.SUCCESS(summary) if plan else summary)
