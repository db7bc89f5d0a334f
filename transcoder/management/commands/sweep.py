"""Have lost work done: stale pending renditions and unfinished uploads."""

from django.core.management.base import BaseCommand

from transcoder import services


class Command(BaseCommand):
    help = (
        "Queue renditions pending longer than MEDIAHUB_SWEEP_PENDING_AFTER again "
        "(failing those that used up MEDIAHUB_MAX_ATTEMPTS) with jobs that stopped "
        "moving, and finalize uploads "
        "older than MEDIAHUB_SWEEP_UPLOADS_AFTER that are neither an asset nor a "
        "recorded refusal. Bounded runs (MEDIAHUB_SWEEP_BATCH, "
        "MEDIAHUB_SWEEP_SECONDS); by default until nothing more is found."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run one bounded sweep, as the scheduled sweep does.",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=None,
            help="Rows and uploads per run (MEDIAHUB_SWEEP_BATCH).",
        )

    def handle(self, *args, once=False, batch=None, **options):
        totals = {
            "requeued": 0,
            "jobs": 0,
            "failed": 0,
            "finalized": 0,
            "refused": 0,
            "left": 0,
        }
        while True:
            report = services.sweep(batch=batch)
            for name in totals:
                value = getattr(report, name)
                totals[name] += value if isinstance(value, int) else len(value)
            for key in report.finalized:
                self.stdout.write(f"finalized {key}")
            for key in report.refused:
                self.stdout.write(f"refused {key}")
            for key in report.left:
                self.stdout.write(f"left {key}")
            if once or report.done:
                break
        self.stdout.write(
            "Queued {requeued} asset(s) and {jobs} job(s) again, "
            "failed {failed} rendition(s), "
            "finalized {finalized} upload(s), refused {refused}, left {left}.".format(
                **totals
            )
        )
