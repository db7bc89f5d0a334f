"""One error shape for the doors that machines read: /api/ and /e/.

Every error under those paths is ``{"error": message, "status": status}``,
never an HTML page or plain text, so a ``fetch()`` or an image loader on
another origin can tell a 404 from a 410 from a refused key. The admin keeps
Django's pages.
"""

from functools import wraps

from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

# The paths whose every answer, errors included, is JSON.
MACHINE_PREFIXES = ("/api/", "/e/")
SAFE_METHODS = ("GET", "HEAD")
# What a 500 says: the traceback goes to the log, never to the client.
SERVER_FAULT = (
    "Something went wrong on our side (storage or database); try again in a moment."
)


def json_error(status, message, *, headers=None):
    """Return ``{"error": message, "status": status}`` with that status."""
    response = JsonResponse({"error": message, "status": status}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    response["Cache-Control"] = "private, no-store"
    return response


def unknown_parameters(query, known):
    """Return the message naming the query parameters not in ``known``, or None.

    A misspelt option (``?h=`` for ``?w=``) must not be silently ignored.
    """
    unknown = sorted(set(query) - set(known))
    if not unknown:
        return None
    return f"Unknown query parameter: {', '.join(unknown)[:100]}."


def safe_methods_only(view):
    """Let GET and HEAD through; answer any other method with a JSON 405.

    CSRF-exempt, since nothing but a safe method reaches the view: a POST gets
    the 405 it deserves rather than a CSRF page.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in SAFE_METHODS:
            return json_error(
                405,
                f"{request.method} is not allowed here.",
                headers={"Allow": ", ".join(SAFE_METHODS)},
            )
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def is_machine_path(path):
    return path.startswith(MACHINE_PREFIXES)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """The 500 handler: JSON under /api/ and /e/, Django's page elsewhere."""
    if is_machine_path(request.path_info):
        return json_error(500, SERVER_FAULT)
    return defaults.server_error(request, template_name)


@csrf_exempt
def embed_not_found(request, *args, **kwargs):
    """Answer any /e/ path that is not an embed link with a JSON 404."""
    return json_error(
        404,
        "There is no such embed link: they look like /e/<image id>/<preset>/.",
    )
