"""A client generated from the served OpenAPI document drives the API.

openapi-python-client (a real generator, pinned in requirements/test.txt)
turns /api/schema/ into a Python package at test time, with no warning
allowed. That package, and nothing written by hand, then lists, uploads,
changes, replaces and deletes against the live server. The upload steps follow
the document's links (createUpload -> putUploadContent -> finalizeUpload ->
the image), so a link that names a missing field or operation fails here.
Effects are checked in the database and in storage, not only in answers.
"""

import importlib
import io
import json
import os
import re
import subprocess
import sys
from urllib.request import urlopen

import httpx
import jsonschema
import pytest
from django.core.files.storage import storages

from tests.images import make_image
from transcoder import selectors, services
from transcoder.models import ApiToken, Asset, AssetVersion, RenditionStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

PACKAGE = "mediahub_api_client"
NEW = make_image("PNG", size=(90, 150), color=(20, 90, 200))
OTHER = make_image("JPEG", size=(80, 60), color=(30, 160, 40))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Return a function that generates the client from a served document once."""
    made = {}

    def generate(live_server):
        if "client" not in made:
            made["client"] = _generate(live_server.url, tmp_path_factory.mktemp("gen"))
        return made["client"]

    yield generate
    for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def _generate(server, where):
    """Generate the package from ``server``'s /api/schema/ and import it."""
    with urlopen(f"{server}/api/schema/") as response:  # noqa: S310
        document = json.load(response)
    spec = where / "openapi.json"
    spec.write_text(json.dumps(document))
    tools = os.path.dirname(sys.executable)  # its post hooks run ruff from here
    result = subprocess.run(
        [
            os.path.join(tools, "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(where / PACKAGE),
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": tools + os.pathsep + os.environ.get("PATH", "")},
        timeout=150,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout
    sys.path.insert(0, str(where))
    try:
        package = importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
    return Generated(package, document)


class Generated:
    """The generated package, and the document it was generated from."""

    def __init__(self, package, document):
        self.package = package
        self.document = document
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.types = importlib.import_module(f"{PACKAGE}.types")

    def operation(self, operation_id):
        """Return the generated module of ``operation_id`` (createUpload ->
        create_upload)."""
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()
        return importlib.import_module(f"{PACKAGE}.api.default.{name}")

    def client(self, base_url, token):
        return self.package.AuthenticatedClient(
            base_url=base_url, token=token, raise_on_unexpected_status=True
        )

    def links(self, operation_id, status):
        """Return the links of ``operation_id``'s ``status`` answer."""
        for item in self.document["paths"].values():
            for operation in item.values():
                if isinstance(operation, dict) and (
                    operation.get("operationId") == operation_id
                ):
                    return operation["responses"][str(status)]["links"]
        raise LookupError(operation_id)

    def follow(self, answer, operation_id, status, target, **arguments):
        """Call ``target`` through the link of ``operation_id``'s ``status``
        answer, with the values the link takes from ``answer`` (a model)."""
        link = self.links(operation_id, status)[target]
        assert link["operationId"] == target
        body = answer.to_dict()
        for name, expression in link.get("parameters", {}).items():
            arguments[name] = _resolve(expression, body)
        if "requestBody" in link:
            # The link fills its fields into the body given (a model).
            values = {k: _resolve(v, body) for k, v in link["requestBody"].items()}
            given = arguments["body"]
            arguments["body"] = type(given).from_dict({**given.to_dict(), **values})
        return self.operation(target).sync_detailed(**arguments)


def _resolve(expression, body):
    """Evaluate ``$response.body#/name`` against an answer's JSON."""
    prefix = "$response.body#/"
    assert expression.startswith(prefix), expression
    value = body
    for part in expression[len(prefix) :].split("/"):
        value = value[part]
    return value


@pytest.fixture
def token(admin_user):
    return services.api_token_issue(
        token=ApiToken(
            name="generated client",
            scope_read=True,
            scope_write=True,
            created_by=admin_user,
        )
    )


def _send_put(gen, client, upload, content):
    """PUT ``content`` to the one-time URL, through the createUpload link."""
    File = gen.types.File
    return gen.follow(
        upload,
        "createUpload",
        201,
        "putUploadContent",
        client=client,
        body=File(payload=io.BytesIO(content), mime_type="application/octet-stream"),
    )


def test_a_generated_client_lists_uploads_changes_replaces_and_deletes(
    generated, live_server, presets, jpeg, token, stored_files
):
    gen = generated(live_server)
    api = gen.client(live_server.url, token)
    models = gen.models
    kept = services.asset_create(content=OTHER, filename="kept.jpg", title="Kept")

    page = gen.operation("listAssets").sync(client=api)
    assert isinstance(page, models.AssetPage)
    assert [(a.id, a.title) for a in page.results] == [(kept.pk, "Kept")]

    # Ask for an upload: on the embedded default the answer is an UploadPut.
    request = models.UploadRequest(
        content_type=models.UploadRequestContentType.IMAGEJPEG,
        filename="cat.jpg",
        size=len(jpeg),
    )
    upload = gen.operation("createUpload").sync(client=api, body=request)
    assert isinstance(upload, models.UploadPut), upload
    assert upload.url.endswith(f"/api/uploads/content/{upload.upload}/")
    assert not storages["default"].exists(upload.key)

    sent = _send_put(gen, api, upload, jpeg)
    assert sent.status_code == 201, sent.content
    assert isinstance(sent.parsed, models.UploadReceived)
    assert (sent.parsed.key, sent.parsed.bytes_) == (upload.key, len(jpeg))
    with storages["default"].open(upload.key) as stored:
        assert stored.read() == jpeg
    again = _send_put(gen, api, upload, jpeg)
    assert again.status_code == 409 and isinstance(again.parsed, models.Error)

    made = gen.follow(
        sent.parsed,
        "putUploadContent",
        201,
        "finalizeUpload",
        client=api,
        body=models.Finalize(key="", filename="cat.jpg"),
    )
    assert made.status_code == 201, made.content
    image = made.parsed
    assert isinstance(image, models.Asset), image
    asset = Asset.objects.get(pk=image.id)
    assert asset.upload_key == upload.key and asset.original_filename == "cat.jpg"
    assert (asset.width, asset.height) == (image.width, image.height) == (640, 480)
    with storages["default"].open(asset.original) as original:
        assert original.read() == jpeg
    assert not storages["default"].exists(upload.key)
    ready = asset.renditions.filter(status=RenditionStatus.READY)
    assert {r.preset.slug for r in ready} == set(image.embed.additional_properties)
    assert all(r.name in stored_files() for r in ready)

    fetched = gen.follow(image, "finalizeUpload", 201, "getAsset", client=api)
    assert fetched.status_code == 200 and fetched.parsed.id == asset.pk

    change = models.AssetChange(
        title="Cat", alt="A grey cat", tags=["pets", "cats"], focal_point=[0.25, 0.75]
    )
    changed = gen.follow(
        image, "finalizeUpload", 201, "updateAsset", client=api, body=change
    )
    assert changed.status_code == 200, changed.content
    assert (changed.parsed.title, sorted(changed.parsed.tags)) == (
        "Cat",
        ["cats", "pets"],
    )
    asset.refresh_from_db()
    assert (asset.title, asset.alt_text, asset.focal) == (
        "Cat",
        "A grey cat",
        (0.25, 0.75),
    )
    assert sorted(selectors.tag_names(asset)) == ["cats", "pets"]

    # Replace the file: a new upload for this image, then replaceAssetFile.
    first_original = asset.original
    request = models.UploadRequest(
        content_type=models.UploadRequestContentType.IMAGEPNG, replace=asset.pk
    )
    upload = gen.operation("createUpload").sync(client=api, body=request)
    assert isinstance(upload, models.UploadPut), upload
    assert _send_put(gen, api, upload, NEW).status_code == 201
    replaced = gen.operation("replaceAssetFile").sync_detailed(
        asset.pk, client=api, body=models.Replace(key=upload.key, filename="new.png")
    )
    assert replaced.status_code == 200, replaced.content
    assert (replaced.parsed.id, replaced.parsed.title) == (asset.pk, "Cat")
    asset.refresh_from_db()
    assert (asset.width, asset.height, asset.format) == (90, 150, "png")
    assert asset.original != first_original
    with storages["default"].open(asset.original) as original:
        assert original.read() == NEW
    (version,) = AssetVersion.objects.filter(asset=asset)
    assert version.original == first_original
    assert storages["default"].exists(first_original)

    gone = gen.follow(image, "finalizeUpload", 201, "deleteAsset", client=api)
    assert gone.status_code == 204
    assert list(Asset.objects.values_list("pk", flat=True)) == [kept.pk]
    assert Asset.trash.get().pk == asset.pk
    missing = gen.operation("getAsset").sync_detailed(asset.pk, client=api)
    assert missing.status_code == 404 and missing.parsed.status == 404

    page = gen.operation("listAssets").sync(client=api)
    assert [a.id for a in page.results] == [kept.pk]


@pytest.mark.s3
def test_on_s3_the_generated_client_gets_a_presigned_post(
    generated, live_server, s3, presets, jpeg, token
):
    """On S3 createUpload answers an UploadPost: a form POST of its fields and
    the file straight to the bucket, outside this API; then finalize."""
    gen = generated(live_server)
    api = gen.client(live_server.url, token)
    models = gen.models
    request = models.UploadRequest(
        content_type=models.UploadRequestContentType.IMAGEJPEG,
        filename="cat.jpg",
        size=len(jpeg),
    )
    answer = gen.operation("createUpload").sync_detailed(client=api, body=request)
    upload = answer.parsed
    assert isinstance(upload, models.UploadPost), upload
    # Exactly the fields UploadPost declares (the parsed model would drop more).
    schemas = gen.document["components"]["schemas"]
    text = json.dumps({**schemas["Upload"], "$defs": schemas})
    closed = json.loads(text.replace("#/components/schemas/", "#/$defs/"))
    jsonschema.validate(json.loads(answer.content), closed)
    assert upload.url.startswith(s3.endpoint)
    assert "putUploadContent" in gen.links("createUpload", 201)
    posted = httpx.post(
        upload.url,
        data=upload.fields.additional_properties,
        files={"file": ("cat.jpg", jpeg, "image/jpeg")},
    )
    assert posted.status_code == 201, posted.text
    assert s3.keys("uploads/") == [upload.key]

    made = gen.follow(
        upload,
        "createUpload",
        201,
        "finalizeUpload",
        client=api,
        body=models.Finalize(key="", filename="cat.jpg"),
    )
    assert made.status_code == 201, made.content
    asset = Asset.objects.get(pk=made.parsed.id)
    assert asset.upload_key == upload.key
    assert s3.keys("uploads/") == []
    body = s3.client.get_object(Bucket=s3.bucket, Key=asset.original)["Body"].read()
    assert body == jpeg
