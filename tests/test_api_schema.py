"""The OpenAPI 3.1 document: valid, served, and honoured by the live server."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from transcoder import services
from transcoder.api.schema.document import openapi_document
from transcoder.models import ApiToken


def test_the_document_is_valid_openapi_3_1():
    """openapi-spec-validator accepts the document as OpenAPI 3.1."""
    validate(openapi_document("https://media.example"))


def test_the_validator_would_catch_a_broken_document():
    """The validation above can fail: a response without a description is refused."""
    document = openapi_document("https://media.example")
    del document["paths"]["/api/assets/"]["get"]["responses"]["200"]["description"]
    with pytest.raises(OpenAPIValidationError, match="description"):
        validate(document)


@pytest.mark.parametrize("schema_name", ["Finalize", "Replace"])
def test_upload_key_pattern_is_the_minted_shape(schema_name):
    """The documented key pattern takes keys minted for either purpose and
    refuses the old shape and plain keys."""
    import re
    import uuid
    from types import SimpleNamespace

    from transcoder.storage import keys

    document = openapi_document("https://media.example")
    pattern = document["components"]["schemas"][schema_name]["properties"]["key"]
    user = SimpleNamespace(pk=3)
    minted = [
        keys.upload_key_mint(user=user, collection=SimpleNamespace(pk=9)),
        keys.upload_key_mint(user=user, asset=SimpleNamespace(pk=uuid.uuid4())),
    ]
    refused = ["uploads/" + "A" * 32 + "." + "B" * 22 + "/upload", "uploads/a.jpg"]
    for key in minted:
        assert re.search(pattern["pattern"], key), key
    for key in refused:
        assert not re.search(pattern["pattern"], key), key


def test_upload_request_documents_its_purpose():
    """/api/uploads/ takes a collection or an image to replace."""
    document = openapi_document("https://media.example")
    request = document["components"]["schemas"]["UploadRequest"]["properties"]
    assert request["replace"]["format"] == "uuid"
    assert request["collection"]["type"] == "integer"
    responses = document["paths"]["/api/uploads/"]["post"]["responses"]
    assert {"403", "404"} <= set(responses)


@pytest.mark.django_db
def test_schema_is_served_publicly_with_this_server(client):
    """/api/schema/ answers without a token, naming the server it was asked on."""
    response = client.get("/api/schema/")
    assert response.status_code == 200
    data = response.json()
    assert data["openapi"] == "3.1.0"
    assert data["servers"] == [{"url": "http://testserver"}]
    assert set(data["paths"]) >= {"/api/assets/", "/api/assets/{asset_id}/"}


@pytest.fixture
def full_token(live_server, presets, jpeg, admin_user):
    """A read-write token, with two assets to read, change and delete."""
    for n in range(2):
        services.asset_create(
            content=jpeg,
            filename=f"cat-{n}.jpg",
            alt_text="A cat",
            allow_duplicate=True,
        )
    return services.api_token_issue(
        token=ApiToken(
            name="schemathesis",
            scope_read=True,
            scope_write=True,
            created_by=admin_user,
        )
    )


# The document the server serves (checked below), loaded once at collection;
# every call goes to the live server. (schemathesis' lazy fixture loader does not
# run under pytest 9, so the schema comes from the module, not from a fixture.)
schema = schemathesis.openapi.from_dict(openapi_document("http://127.0.0.1"))


@pytest.mark.django_db(transaction=True)
def test_served_document_is_the_one_tested(live_server):
    """What schemathesis tests is exactly what /api/schema/ serves."""
    import json
    from urllib.request import urlopen

    with urlopen(f"{live_server.url}/api/schema/") as response:  # noqa: S310
        served = json.load(response)
    assert served == openapi_document(live_server.url)


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_live_api_honours_its_schema(case, live_server, full_token, settings_overrides):
    """schemathesis on every operation, with a token: no 5xx, nothing off-schema."""
    case.call_and_validate(
        base_url=live_server.url,
        headers={"Authorization": f"Bearer {full_token}"},
    )


@pytest.fixture
def settings_overrides(settings):
    settings.MEDIAHUB_API_RATE_LIMIT = 100_000


# --- nothing escapes the document -------------------------------------------
#
# The document is written by hand. These checks fail, naming what is missing,
# when a route, a query parameter, a request field or an answer's key is added
# to the code and not to the document (or left in the document after the code
# dropped it).

DOCUMENT = openapi_document("https://media.example")
# Under these prefixes every route is an operation of the document, except
# the document itself and the catch-alls that answer JSON 404s.
DOCUMENTED_PREFIXES = ("api/", "e/")


def _documented_routes():
    """Return ``{URL name: schema path}`` of every path of the document."""
    import re
    import uuid

    from django.urls import resolve

    routes = {}
    for path in DOCUMENT["paths"]:
        sample = path.replace("{asset_id}", str(uuid.uuid4()))
        sample = sample.replace("{upload_id}", str(uuid.uuid4()))
        match = resolve(re.sub(r"\{\w+\}", "x", sample))
        routes[match.url_name] = path
    return routes


def _code_routes():
    """Return the names of the URL patterns under DOCUMENTED_PREFIXES."""
    from django.urls import URLPattern

    from transcoder import urls

    names, unnamed = set(), []
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern), pattern
        route = str(pattern.pattern).lstrip("^")
        if not route.startswith(DOCUMENTED_PREFIXES):
            continue
        if pattern.name:
            names.add(pattern.name)
        else:
            unnamed.append(route)
    # The catch-alls: JSON 404s (tests/test_api_errors.py), not operations.
    assert sorted(unnamed) == ["api/", "e/"], unnamed
    return names - {"api-schema"}


def test_every_api_and_embed_route_is_an_operation_and_back():
    """Each route under /api/ and /e/ has a path in the document, each path
    resolves to one of them; tests/test_api_errors.py then checks that its
    methods are exactly the ones the view takes (405 with Allow)."""
    documented = _documented_routes()
    assert len(documented) == len(DOCUMENT["paths"]), "two paths, one route"
    code = _code_routes()
    assert sorted(code - set(documented)) == [], "routes the document lacks"
    assert sorted(set(documented) - code) == [], "paths of no route"


def _query_names(path, method):
    item = DOCUMENT["paths"][path]
    parameters = item.get("parameters", []) + item[method].get("parameters", [])
    return {p["name"] for p in parameters if p["in"] == "query"}


def _handlers(view):
    """Return the ``{METHOD: (scope, function[, query names])}`` an
    ``api.core.auth.endpoint`` view was built from, found in its closures."""
    import inspect

    seen = set()
    todo = [view]
    while todo:
        function = todo.pop()
        if id(function) in seen or not callable(function):
            continue
        seen.add(id(function))
        found = inspect.getclosurevars(function).nonlocals
        if isinstance(found.get("handlers"), dict):
            return found["handlers"]
        todo += [v for v in found.values() if inspect.isfunction(v)]
    return None


def test_query_parameters_are_the_ones_the_views_take():
    """Every API view refuses a query parameter it does not know (400), and
    so does an embed link; the document names exactly the ones each takes (a
    publishable key is the security scheme, not a parameter)."""
    import re
    import uuid

    from django.urls import resolve

    from transcoder.delivery.serving import EMBED_PARAMETERS

    checked = []
    for path, item in DOCUMENT["paths"].items():
        sample = path.replace("{asset_id}", str(uuid.uuid4()))
        sample = sample.replace("{upload_id}", str(uuid.uuid4()))
        view = resolve(re.sub(r"\{\w+\}", "x", sample)).func
        handlers = _handlers(view)
        for method in item:
            if method == "parameters":
                continue
            if path.startswith("/e/"):
                known = set(EMBED_PARAMETERS)
            elif hasattr(view, "query_parameters"):  # the upload widget's views
                known = set(view.query_parameters)
            else:
                _scope, _function, *declared = handlers[method.upper()]
                known = set(declared[0]) if declared else set()
            assert _query_names(path, method) == known, f"{method} {path}"
            checked.append(f"{method} {path}")
    assert "get /api/assets/" in checked and len(checked) == sum(
        len([m for m in item if m != "parameters"])
        for item in DOCUMENT["paths"].values()
    )
    publishable = DOCUMENT["components"]["securitySchemes"]["publishable"]
    assert publishable["in"] == "query" and publishable["name"] == "key"


def _answer_schemas():
    """Yield (where, schema) for each schema an answer can reach, refs followed."""
    schemas = DOCUMENT["components"]["schemas"]
    seen = set()

    def walk(where, schema):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                yield from walk(name, schemas[name])
            return
        yield where, schema
        for key in ("oneOf", "anyOf", "allOf"):
            for n, branch in enumerate(schema.get(key, [])):
                yield from walk(f"{where}.{key}[{n}]", branch)
        for name, sub in schema.get("properties", {}).items():
            yield from walk(f"{where}.{name}", sub)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                yield from walk(f"{where}.{key}", schema[key])

    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, answer in operation["responses"].items():
                for media in answer.get("content", {}).values():
                    yield from walk(f"{method} {path} {status}", media["schema"])


def test_every_answer_object_is_closed():
    """Every object an answer can hold says what else it may carry: nothing
    (``additionalProperties: false``) or a map of one schema. So schemathesis'
    response check, and the test below, fail on an undocumented key."""
    open_objects = [
        where
        for where, schema in _answer_schemas()
        if (schema.get("type") == "object" or "properties" in schema)
        and "additionalProperties" not in schema
    ]
    assert open_objects == []


# Which view function reads which request body, and the schema of that body.
BODY_READERS = {
    "AssetChange": [("transcoder.api.views.assets", "_patch")],
    "UploadRequest": [
        ("transcoder.api.views.uploads", "_create"),
        ("transcoder.api.views.uploads", "_purpose"),
    ],
    "Finalize": [("transcoder.api.views.uploads", "_finalize")],
    "Replace": [("transcoder.api.views.replace", "_replace")],
}


def _fields_read(module_name, function_name):
    """Return the names a view function reads from its JSON ``body``.

    Found in its source: ``text_field(body, "name")``, ``body.get("name")``,
    ``body["name"]``, ``"name" in body``, and the keys of a module-level dict
    it loops over to read ``body`` (``for name, limit in EDITABLE.items()``)
    or unpacks into the set of fields it takes (``{*EDITABLE, ...}``).
    """
    import ast
    import importlib
    import inspect
    import textwrap

    module = importlib.import_module(module_name)
    tree = ast.parse(textwrap.dedent(inspect.getsource(getattr(module, function_name))))

    def is_body(node):
        return isinstance(node, ast.Name) and node.id == "body"

    def constant(node):
        return node.value if isinstance(node, ast.Constant) else None

    def dict_keys(node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value  # X.items(), X.keys()
        if isinstance(node, ast.Name) and isinstance(
            getattr(module, node.id, None), dict
        ):
            return set(getattr(module, node.id))
        return set()

    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and is_body(node.args[0]):
            if getattr(node.func, "id", None) == "text_field":
                names.add(constant(node.args[1]))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if is_body(node.func.value) and node.func.attr == "get":
                names.add(constant(node.args[0]))
        if isinstance(node, ast.Subscript) and is_body(node.value):
            names.add(constant(node.slice))
        if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In):
            if is_body(node.comparators[0]):
                names.add(constant(node.left))
        if isinstance(node, ast.Starred):
            names |= dict_keys(node.value)
        if isinstance(node, ast.For) and any(
            isinstance(n, ast.Name) and n.id == "body" for n in ast.walk(node)
        ):
            names |= dict_keys(node.iter)
    return names - {None}


@pytest.mark.parametrize("schema_name", sorted(BODY_READERS))
def test_request_bodies_name_exactly_the_fields_the_views_read(schema_name):
    """A field a view reads is in its request schema, and each field of the
    schema is read by the view."""
    read = set()
    for module_name, function_name in BODY_READERS[schema_name]:
        read |= _fields_read(module_name, function_name)
    documented = set(DOCUMENT["components"]["schemas"][schema_name]["properties"])
    assert sorted(read - documented) == [], "read, not documented"
    assert sorted(documented - read) == [], "documented, never read"


def test_the_field_scan_sees_a_new_field():
    """The scan above is not blind: it finds each way a view reads a field."""
    from transcoder.api.views import assets as views

    assert {"title", "alt", "caption", "tags", "decorative", "captured_at"} <= (
        _fields_read("transcoder.api.views.assets", "_patch")
    )
    assert set(views.METADATA_TEXT) <= _fields_read(
        "transcoder.api.views.assets", "_patch"
    )
    assert {"replace", "collection", "size", "filename", "content_type"} <= (
        _fields_read("transcoder.api.views.uploads", "_create")
        | _fields_read("transcoder.api.views.uploads", "_purpose")
    )


def _answer_schema(path, method, status):
    """Return the JSON schema the document gives ``method path`` answering
    ``status``, its component refs made local."""
    import json

    answer = DOCUMENT["paths"][path][method]["responses"][str(status)]
    schema = answer["content"]["application/json"]["schema"]
    text = json.dumps({**schema, "$defs": DOCUMENT["components"]["schemas"]})
    return json.loads(text.replace("#/components/schemas/", "#/$defs/"))


class Answers:
    """Answers of the API to one token, each checked against the document."""

    def __init__(self, client, token):
        self.client = client
        self.auth = {"Authorization": f"Bearer {token}"}

    def call(self, method, url, path, status, body=None, **kw):
        """Send, check the status, validate against ``path``'s schema; return JSON."""
        import json

        import jsonschema

        if body is not None:
            kw = {"data": json.dumps(body), "content_type": "application/json"}
        response = self.client.generic(method, url, headers=self.auth, **kw)
        assert response.status_code == status, response.content[:300]
        data = response.json()
        jsonschema.validate(data, _answer_schema(path, method.lower(), status))
        return data

    def upload(self, content, **request):
        made = self.call(
            "POST",
            "/api/uploads/",
            "/api/uploads/",
            201,
            {"content_type": "image/jpeg", **request},
        )
        received = self.call(
            "PUT",
            made["url"],
            "/api/uploads/content/{upload}/",
            201,
            **{"data": content, "content_type": "application/octet-stream"},
        )
        assert received["key"] == made["key"]
        return made


@pytest.fixture
def answers(client, admin_user):
    token = services.api_token_issue(
        token=ApiToken(
            name="answers", scope_read=True, scope_write=True, created_by=admin_user
        )
    )
    return Answers(client, token)


def test_answers_carry_exactly_the_documented_fields(answers, presets, commit):
    """Real answers of each operation validate against the closed schemas, and
    an image's answer carries every field the Asset schema declares (with a
    responsive preset, a placeholder and renditions, nothing optional left out)."""
    from tests.images import make_image
    from transcoder.models import Preset

    services.preset_save(
        preset=Preset(
            slug="hero",
            name="Hero",
            fit="cover",
            width=400,
            height=200,
            widths=[100, 200, 400],
            formats=["webp", "jpeg"],
        )
    )
    first = make_image("JPEG", size=(640, 480), color=(200, 40, 40))
    second = make_image("JPEG", size=(320, 480), color=(40, 40, 200))
    a = answers
    with commit():
        made = a.upload(first, filename="red.jpg")
        image = a.call(
            "POST",
            "/api/uploads/finalize/",
            "/api/uploads/finalize/",
            201,
            {"key": made["key"]},
        )
    url = f"/api/assets/{image['id']}/"
    detail = a.call("GET", url, "/api/assets/{asset_id}/", 200)
    asset_properties = DOCUMENT["components"]["schemas"]["Asset"]["properties"]
    assert set(detail) == set(asset_properties)
    assert detail["placeholder"] and detail["status"] == "ready"
    hero = detail["layout"]["hero"]
    layout = DOCUMENT["components"]["schemas"]["Layout"]["properties"]
    assert set(hero) == set(layout)
    rendition = DOCUMENT["components"]["schemas"]["Rendition"]["properties"]
    assert all(set(r) == set(rendition) for r in detail["renditions"])
    for expand in ("", "?expand=renditions"):
        page = a.call("GET", "/api/assets/" + expand, "/api/assets/", 200)
        assert [r["id"] for r in page["results"]] == [image["id"]]
    a.call("PATCH", url, "/api/assets/{asset_id}/", 200, {"title": "Red"})
    again = a.call(
        "POST",
        "/api/uploads/finalize/",
        "/api/uploads/finalize/",
        200,
        {"key": made["key"]},
    )
    assert again["id"] == image["id"]
    presets_page = a.call("GET", "/api/presets/", "/api/presets/", 200)
    assert {p["slug"] for p in presets_page["results"]} == {"thumb", "card", "hero"}
    with commit():
        copy = a.upload(first)
        duplicate = a.call(
            "POST",
            "/api/uploads/finalize/",
            "/api/uploads/finalize/",
            409,
            {"key": copy["key"]},
        )
        assert duplicate["asset"]["id"] == image["id"]
        new_file = a.upload(second, replace=image["id"])
        assert new_file["upload"] in new_file["url"]
        replaced = a.call(
            "POST",
            url + "replace/",
            "/api/assets/{asset_id}/replace/",
            200,
            {"key": new_file["key"]},
        )
    assert (replaced["id"], replaced["width"], replaced["title"]) == (
        image["id"],
        320,
        "Red",
    )


def test_an_undocumented_key_fails_the_check(answers, presets, jpeg, commit):
    """The check above can fail: one key more in an answer is refused."""
    import jsonschema

    with commit():
        asset = services.asset_create(content=jpeg, filename="cat.jpg")
    url = f"/api/assets/{asset.pk}/"
    detail = answers.call("GET", url, "/api/assets/{asset_id}/", 200)
    schema = _answer_schema("/api/assets/{asset_id}/", "get", 200)
    for extra in ({**detail, "secret": 1}, {**detail, "progress": {"x": 1}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(extra, schema)
