from django.apps import AppConfig


class TranscoderConfig(AppConfig):
    name = "transcoder"
    verbose_name = "Media library"

    def ready(self):
        from transcoder import (
            checks,  # noqa: F401  (registers system checks)
            tasks,  # noqa: F401  (registers the tasks services queue)
        )
        from transcoder.api import (
            publishable,  # noqa: F401  (lets publishable keys' origins use CORS)
        )
