"""The one path of Lambda's API the app calls on itself: Invoke, asynchronously.

LambdaBackend hands tasks to Zappa, whose boto3 Lambda client sends
``POST /2015-03-31/functions/{name}/invocations`` with
``X-Amz-Invocation-Type: Event``. With ``AWS_ENDPOINT_URL_LAMBDA`` (boto3's
own endpoint setting) pointing here, those invocations come back into the
harness's queue and are delivered like any other event. 127.0.0.1 only.
"""

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")


def _error(kind, message):
    return {"Type": "User", "message": message, "__type": kind}


def make_handler(function_name, accept):
    """Return a request handler that gives each Event invocation to ``accept``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _answer(self, status, body=None, request_id=None):
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", request_id or str(uuid.uuid4()))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            match = PATH.match(path)
            if not match:
                return self._answer(404, _error("UnknownOperationException", path))
            name = unquote(match[1])
            if name != function_name and not name.endswith(f":{function_name}"):
                return self._answer(
                    404,
                    _error("ResourceNotFoundException", f"Function not found: {name}"),
                )
            kind = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
            if kind == "DryRun":
                return self._answer(204)
            if kind != "Event":
                return self._answer(
                    400,
                    _error(
                        "InvalidParameterValueException",
                        "This harness takes only Event (asynchronous) invocations.",
                    ),
                )
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                return self._answer(
                    400,
                    _error("InvalidRequestContentException", "Could not parse JSON"),
                )
            request_id = accept(payload)
            return self._answer(202, request_id=request_id)

    return Handler


class InvokeAPI:
    """An HTTP server on 127.0.0.1 answering Lambda's Invoke for one function."""

    def __init__(self, function_name, accept):
        self.server = ThreadingHTTPServer(
            ("127.0.0.1", 0), make_handler(function_name, accept)
        )
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
