"""The upload widget's operations in the OpenAPI document (``document.py``).

They take no token (``security: []``): the body or the query carries a public
upload key, checked with the request's ``Origin``.
"""

from transcoder.api.schema.parts import _BINARY_BODY

_REF = "#/components/schemas/"
_KEY = {"type": "string", "maxLength": 40, "description": "An upload key, uk_..."}


def _error(description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF + "Error"}}},
    }


_COMMON = {
    "403": _error(
        "The upload key is unknown or revoked, not allowed on this origin, or "
        "its creator may no longer add to its collection."
    ),
}
_JSON_BODY = {
    "400": _error("The request is not valid."),
    "413": _error("The body is too large."),
    "415": _error("The body is not JSON."),
}

WIDGET_SCHEMAS = {
    "WidgetAsk": {
        "type": "object",
        "required": ["key", "content_type", "size"],
        "properties": {
            "key": _KEY,
            "filename": {"type": "string", "maxLength": 255},
            "content_type": {
                "type": "string",
                "maxLength": 100,
                "description": "One of the key's formats, such as image/jpeg.",
            },
            "size": {"type": "integer", "minimum": 1},
        },
    },
    "WidgetTarget": {
        "type": "object",
        "required": ["id", "method", "url", "fields", "content_type", "max_bytes"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "method": {
                "enum": ["PUT", "POST"],
                "description": "PUT the bytes to url (embedded default), or POST "
                "a form of fields and then the file to url (S3's presigned POST).",
            },
            "url": {"type": "string", "format": "uri"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            "content_type": {"type": "string"},
            "max_bytes": {"type": "integer"},
            "expires_in": {"type": "integer"},
            "status_url": {"type": "string", "format": "uri"},
        },
    },
    "WidgetFinalize": {
        "type": "object",
        "required": ["key", "id"],
        "properties": {"key": _KEY, "id": {"type": "string", "format": "uuid"}},
    },
    "WidgetUpload": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "status": {"enum": ["asked", "pending", "approved", "rejected", "refused"]},
            "reason": {"type": "string"},
            "asset": {"type": "string", "format": "uuid"},
        },
    },
    "WidgetReceived": {
        "type": "object",
        "required": ["id", "bytes"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "bytes": {"type": "integer", "minimum": 1},
        },
    },
    "WidgetRefused": {
        "type": "object",
        "description": "The sent file is outside the key's scope: refused, deleted.",
        "required": ["error", "status", "upload"],
        "properties": {
            "error": {"type": "string"},
            "status": {"const": 422},
            "upload": {"$ref": _REF + "WidgetUpload"},
        },
    },
}
# Every key of every answer is declared (tests/test_api_schema.py).
for _schema in WIDGET_SCHEMAS.values():
    _schema["additionalProperties"] = False


def _body(ref):
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": _REF + ref}}},
    }


WIDGET_PATHS = {
    "/api/widget/uploads/": {
        "post": {
            "operationId": "askWidgetUpload",
            "summary": "Ask where to send one file, with an upload key.",
            "security": [],
            "requestBody": _body("WidgetAsk"),
            "responses": {
                "201": {
                    "description": "Where and how to send the file.",
                    "content": {
                        "application/json": {"schema": {"$ref": _REF + "WidgetTarget"}}
                    },
                },
                **_JSON_BODY,
                **_COMMON,
                "422": _error("The declared type or size is outside the key's scope."),
                "429": {
                    **_error("Too many uploads this hour, for the key or from you."),
                    "headers": {
                        "Retry-After": {"schema": {"type": "integer"}, "required": True}
                    },
                },
            },
        }
    },
    "/api/widget/uploads/content/{signed}/": {
        "put": {
            "operationId": "sendWidgetUpload",
            "summary": "Send the file's bytes once (embedded default only).",
            "security": [],
            "parameters": [
                {
                    "name": "signed",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
            "requestBody": _BINARY_BODY,
            "responses": {
                "201": {
                    "description": "Received; now finalize.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": _REF + "WidgetReceived"}
                        }
                    },
                },
                "400": _error("The body is empty or shorter than its length."),
                "404": _error("No such upload URL (or uploads go to S3 here)."),
                "409": _error("This upload URL was used already."),
                "413": _error("The file is larger than the key allows."),
                **_COMMON,
            },
        }
    },
    "/api/widget/uploads/finalize/": {
        "post": {
            "operationId": "finalizeWidgetUpload",
            "summary": "Check the sent file and queue it for moderation.",
            "security": [],
            "requestBody": _body("WidgetFinalize"),
            "responses": {
                "200": {
                    "description": "Awaiting review (or as it stands).",
                    "content": {
                        "application/json": {"schema": {"$ref": _REF + "WidgetUpload"}}
                    },
                },
                **_JSON_BODY,
                "409": _error("The file was not sent yet; send it, then finalize."),
                "422": {
                    "description": "The sent file is outside the key's scope "
                    "or not an image mediahub takes: refused and deleted, "
                    "with the upload.",
                    "content": {
                        "application/json": {"schema": {"$ref": _REF + "WidgetRefused"}}
                    },
                },
                "404": _error("No such upload for this key."),
                **_COMMON,
            },
        }
    },
    "/api/widget/uploads/{upload_id}/": {
        "get": {
            "operationId": "getWidgetUpload",
            "summary": "Where an upload stands: pending, approved or rejected.",
            "security": [],
            "parameters": [
                {
                    "name": "upload_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "format": "uuid"},
                },
                {
                    "name": "key",
                    "in": "query",
                    "required": True,
                    "schema": _KEY,
                },
            ],
            "responses": {
                "200": {
                    "description": "The upload's state, and why when refused.",
                    "content": {
                        "application/json": {"schema": {"$ref": _REF + "WidgetUpload"}}
                    },
                },
                "400": _error("An unknown query parameter (it takes key)."),
                "404": _error("No such upload for this key."),
                **_COMMON,
            },
        }
    },
}
