"""The table of every door: one row per URL pattern and per API operation.

A row holds one or more probes. A probe says how to knock (``call``), who may
pass (``need``: an action on the target's collection, or a rule of its own),
and what passing looks like (``ok``). tests/test_doors.py drives every probe
for every persona and checks the rest: refusals change nothing, leak nothing,
and look like the answer for an object that does not exist.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from tests.personas import PERSONAS, may, picture
from transcoder.delivery import serving

STAFF = {p for p, persona in PERSONAS.items() if persona.session}
# Tokens with the read scope whose creators are active staff (the
# uploader's token may only write).
LIVE_READERS = {"superuser", "editor_b", "view_a_edit_b", "read_token_a"}
LIVE_READERS.add("write_token_a")
TOKEN_OWNERS = {"superuser": {"A", "B"}, "editor_a": {"A"}, "editor_b": {"B"}}
TOKEN_OWNERS["view_a_edit_b"] = set()  # manages tokens: only its own


@dataclass
class Probe:
    name: str
    call: object  # call(ctx) -> response
    need: object = "nobody"  # an action, a rule name, or need(persona, target)
    ok: object = None  # ok(ctx, response): what success looks like
    targets: tuple = ("A", "B")
    status: tuple = (200,)
    shown: object = None  # shown(persona) -> targets whose titles must show
    s3: bool = False
    method: str = "GET"  # what ``call`` sends; the CSRF test takes the others
    prepare: object = None  # prepare(ctx) -> dict: ready before the snapshot
    also_refused: tuple = ()  # statuses that refuse here, besides the usual


@dataclass
class Row:
    key: str
    probes: list = field(default_factory=list)


RULES = {
    "public": lambda p, t: True,
    "nobody": lambda p, t: False,
    "staff": lambda p, t: p in STAFF,
    "super": lambda p, t: p == "superuser",
    # Tokens and bulk jobs of A are editor A's, of B editor B's.
    "owner": lambda p, t: t in TOKEN_OWNERS.get(p, ()),
    "token_admin": lambda p, t: p in TOKEN_OWNERS,
    "view_api": lambda p, t: p in LIVE_READERS,
    # The reads a publishable key may make too (its reach is in REACH).
    "read_api": lambda p, t: p in LIVE_READERS or p == "publishable_a",
    "view_any": lambda p, t: may(p, "view", "A") or may(p, "view", "B"),
    "add_any": lambda p, t: may(p, "add", "A") or may(p, "add", "B"),
}


def allowed(probe, persona, target):
    need = probe.need
    if callable(need):
        return need(persona, target)
    if need in RULES:
        return RULES[need](persona, target)
    return may(persona, need, target)


def redirects_to(end):
    """Return a probe check: the answer redirects to a URL ending in ``end``."""

    def ok(c, response):
        assert response["Location"].endswith(end), response["Location"]

    return ok


def contains(text):
    """Return a probe check: the answer's body holds ``text``."""

    def ok(c, response):
        assert text in c.body(response)

    return ok


def content_type_id(model):
    return ContentType.objects.get_for_model(model).pk


def store_upload(key, seed):
    """Put an uploaded file at ``key`` in the default storage, as a client would."""
    storages["default"].save(key, ContentFile(picture(seed)))
    return key


def rendition_url(asset):
    """Return the signed URL of a ready rendition (a well-formed one if missing)."""
    if not hasattr(asset, "renditions"):
        return serving.signed_url(f"renditions/{asset.pk}/card/{'0' * 16}-300.jpg")
    return serving.rendition_url(asset.renditions.filter(status="ready").first())
