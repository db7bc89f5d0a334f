"""System checks for a deployment that would be unsafe or broken."""

from django.conf import settings
from django.core import checks

from transcoder.conf import setting


@checks.register(checks.Tags.security, deploy=True)
def check_signed_delivery(app_configs, **kwargs):
    """Warn when S3 delivery falls back to S3 presigned URLs instead of CloudFront."""
    if setting("STORAGE") != "s3":
        return []
    options = settings.STORAGES.get("renditions", {}).get("OPTIONS", {})
    if options.get("cloudfront_key") and options.get("cloudfront_key_id"):
        return []
    return [
        checks.Warning(
            "Renditions are delivered with S3 presigned URLs, not CloudFront.",
            hint="Set AWS_CLOUDFRONT_KEY_ID, AWS_CLOUDFRONT_KEY and "
            "AWS_S3_CUSTOM_DOMAIN so sites get cached CloudFront signed URLs.",
            id="mediahub.W001",
        )
    ]


@checks.register(checks.Tags.security)
def check_limits(app_configs, **kwargs):
    """Refuse limits that turn the decompression-bomb guard off."""
    errors = []
    for name in (
        "MAX_PIXELS",
        "MAX_UPLOAD_BYTES",
        "URL_TTL",
        "MAX_ANIMATION_SECONDS",
        "MAX_ANIMATION_PIXELS",
    ):
        value = setting(name)
        if not isinstance(value, int) or value <= 0:
            errors.append(
                checks.Error(
                    f"MEDIAHUB_{name} must be a positive whole number.",
                    id="mediahub.E001",
                )
            )
    return errors
