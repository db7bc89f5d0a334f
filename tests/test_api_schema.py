"""The OpenAPI 3.1 document: valid, served, and honoured by the live server."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from transcoder import services
from transcoder.api.schema import openapi_document
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
