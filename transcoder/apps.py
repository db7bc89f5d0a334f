from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TranscoderConfig(AppConfig):
    name = "transcoder"
    verbose_name = _("Media library")

    def ready(self):
        from transcoder import (
            checks,  # noqa: F401  (registers system checks)
            tasks,  # noqa: F401  (registers the tasks services queue)
        )
