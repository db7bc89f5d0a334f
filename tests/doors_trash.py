"""Rows of the door table: the Trash, seen and worked by who may delete there."""

from django.urls import reverse

from tests.doors import Probe, Row
from tests.personas import may
from transcoder import services
from transcoder.models import Asset

TRASH = "admin:transcoder_trashedasset_changelist"


def _trash(*targets):
    """Return a ``prepare`` that moves the assets of ``targets`` (None: the
    knock's own) to the Trash, fetched afresh: the world's objects stay live."""

    def prepare(c):
        for t in targets or (c.target,):
            pk = c.world.asset[t].pk if t in ("A", "B") else c.asset.pk
            asset = Asset.all_objects.filter(pk=pk).first()
            if asset is not None:
                services.asset_delete(asset=asset)
        return {}

    return prepare


def _deleters(p):
    return {t for t in ("A", "B") if may(p, "delete", t)}


def _action(name, **extra):
    def call(c):
        data = {"action": name, "_selected_action": [str(c.asset.pk)], **extra}
        return c.post(reverse(TRASH), data)

    return call


TRASH_ROWS = [
    Row(
        TRASH,
        [
            Probe(
                "list",
                lambda c: c.get(reverse(TRASH)),
                lambda p, t: bool(_deleters(p)),
                targets=(None,),
                shown=_deleters,
                prepare=_trash("A", "B"),
            ),
            Probe(
                "restore",
                _action("restore"),
                "delete",
                lambda c, r: Asset.objects.filter(pk=c.asset.pk).exists(),
                status=(302,),
                method="POST",
                prepare=_trash(),
            ),
            Probe(
                "erase now",
                _action("erase_now", apply="1"),
                "delete",
                lambda c, r: not Asset.all_objects.filter(pk=c.asset.pk).exists(),
                status=(302,),
                method="POST",
                prepare=_trash(),
            ),
        ],
    ),
]
