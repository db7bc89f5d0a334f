"""The client's address, for the login lockout (django-axes' AXES_CLIENT_IP_CALLABLE).

Behind API Gateway, Zappa makes REMOTE_ADDR from X-Forwarded-For, taking the
second-to-last entry. API Gateway appends the address it saw to whatever
X-Forwarded-For the client sent, so on a regional REST API or an HTTP API that
entry is the client's own word, and an attacker could give every attempt a new
address. API Gateway's ``requestContext`` holds the address of the connection
itself (``identity.sourceIp`` in v1 events, ``http.sourceIp`` in v2), which no
header can change; Zappa hands the event to Django as ``lambda.event``.

Anywhere else (``make run``, gunicorn) REMOTE_ADDR is the peer of the socket.
"""


def client_ip(request):
    """Return the address the request came from, as its first hop saw it."""
    event = request.META.get("lambda.event")
    if isinstance(event, dict):
        context = event.get("requestContext") or {}
        for part in ("http", "identity"):
            source = (context.get(part) or {}).get("sourceIp")
            if source:
                return str(source)
    return request.META.get("REMOTE_ADDR") or None
