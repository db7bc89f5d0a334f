"""Replay the async invocations Lambda gave up on, from the on-failure queue."""

from django.core.management.base import BaseCommand

from transcoder.aws.redrive import failures_redrive


class Command(BaseCommand):
    help = (
        "Replay the S3 upload events and tasks waiting in the on-failure queue "
        "(MEDIAHUB_FAILURE_QUEUE_URL) through the entry points Lambda would have "
        "called; delete each message once its replay succeeded."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be replayed; replay and delete nothing.",
        )
        parser.add_argument("--queue-url", help="Another queue than the setting's.")
        parser.add_argument(
            "--max-messages", type=int, help="MEDIAHUB_REDRIVE_MAX_MESSAGES instead."
        )
        parser.add_argument(
            "--max-seconds", type=int, help="MEDIAHUB_REDRIVE_SECONDS instead."
        )

    def handle(self, *args, dry_run=False, **options):
        lines = failures_redrive(
            queue_url=options["queue_url"],
            max_messages=options["max_messages"],
            max_seconds=options["max_seconds"],
            dry_run=dry_run,
        )
        counts = {}
        for line in lines:
            counts[line.outcome] = counts.get(line.outcome, 0) + 1
            self.stdout.write(f"{line.outcome} {line.message_id}: {line.summary}")
        summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
        summary = summary or "Nothing waiting in the failure queue."
        failed = counts.get("failed", 0) + counts.get("left", 0)
        self.stdout.write(self.style.WARNING(summary) if failed else summary)
