"""Give assets stored before focal suggestions existed their suggested area."""

from django.core.management.base import BaseCommand

from transcoder.services.assets.focal_suggestions import focal_suggest_missing


class Command(BaseCommand):
    help = (
        "Suggest a focal area for up to --limit assets that have none yet and "
        "whose editor has not decided; their cover renditions rebuild."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=200, help="Assets analysed in this run."
        )

    def handle(self, *args, limit=200, **options):
        made = focal_suggest_missing(limit=max(0, limit))
        self.stdout.write(f"{made} suggested.")
