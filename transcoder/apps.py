from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TranscoderConfig(AppConfig):
    name = "transcoder"
    verbose_name = _("Media library")

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from transcoder import (
            checks,  # noqa: F401  (registers system checks)
            tasks,  # noqa: F401  (registers the tasks services queue)
        )
        from transcoder.api.core import (
            publishable,  # noqa: F401  (lets publishable keys' origins use CORS)
        )
        from transcoder.api.views.widget import cors_enabled
        from transcoder.web.cors import site_key_origin_allowed

        # Embed links and /media/ answer CORS for origins on active site keys.
        check_request_enabled.connect(
            site_key_origin_allowed, dispatch_uid="mediahub-site-key-origins"
        )
        check_request_enabled.connect(cors_enabled, dispatch_uid="mediahub-widget")
