"""JSON errors: every answer of the API is JSON, errors included."""

from django.views.decorators.csrf import csrf_exempt

from transcoder.conf import setting
from transcoder.web.errors import json_error


class ApiError(Exception):
    """An API request that ends in an error status with a message."""

    def __init__(self, status, message, *, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def response(self):
        return error_response(self.status, self.message, headers=self.headers)


def json_too_large():
    """Return the 413 of a JSON body past MEDIAHUB_ANONYMOUS_BODY_BYTES.

    Only the upload PUT takes more; every other body is a small JSON object.
    """
    limit = setting("ANONYMOUS_BODY_BYTES")
    return ApiError(
        413,
        f"The request body is too large: this endpoint takes at most {limit} "
        "bytes of JSON.",
    )


def error_response(status, message, *, headers=None):
    """Return ``{"error": message, "status": status}`` with that status."""
    return json_error(status, message, headers=headers)


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Answer any unknown path under /api/ with a JSON 404."""
    message = "There is no such API endpoint."
    if not request.path_info.endswith("/"):
        message += f" API paths end with a slash: {request.path}/"
    return error_response(404, message)
