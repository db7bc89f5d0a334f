from django.apps import AppConfig


class TranscoderConfig(AppConfig):
    name = "transcoder"
    verbose_name = "Media library"

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from transcoder import (
            checks,  # noqa: F401  (registers system checks)
            tasks,  # noqa: F401  (registers the tasks services queue)
        )
        from transcoder.api.widget import cors_enabled

        check_request_enabled.connect(cors_enabled, dispatch_uid="mediahub-widget")
