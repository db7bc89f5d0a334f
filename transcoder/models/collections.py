"""Collections: a tree of folders for assets, with group permissions on its nodes.

Shaped like Wagtail's ``Collection`` and ``GroupCollectionPermission``: a
django-treebeard materialised-path tree whose one root always exists, and
grants of a Django permission (view, add, change or delete asset) to a group
on a node, which hold for every collection below it too.
"""

from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

ROOT_NAME = "Root"


class Collection(MP_Node):
    name = models.CharField(_("name"), max_length=255)

    node_order_by = ["name"]

    class Meta:
        verbose_name = _("collection")
        verbose_name_plural = _("collections")

    def __str__(self):
        return self.name

    @property
    def label(self):
        """Return the name indented by depth, for selects and the tree list."""
        return f"{'— ' * (self.depth - 1)}{self.name}"

    def path_names(self):
        """Return "Root/Marketing/Events": the names from the root to here."""
        names = [c.name for c in Collection.objects.get_ancestors(self)]
        return "/".join([*names, self.name])


def root_collection():
    """Return the root collection, creating it if a fresh database lacks it."""
    root = Collection.objects.get_first_root_node()
    if root is None:
        try:
            with transaction.atomic():
                root = Collection.objects.add_root(create_kwargs={"name": ROOT_NAME})
        except IntegrityError:
            # Another process (ingest --jobs, a racing request) made it first.
            root = Collection.objects.get_first_root_node()
    return root


def collection_at(path):
    """Return the collection named by "Root/Inbox", or None if there is none.

    The first name is the root's; a path without it ("Inbox") is read from the
    root as well.
    """
    names = [n.strip() for n in (path or "").split("/") if n.strip()]
    node = root_collection()
    if names and names[0] == node.name:
        names = names[1:]
    for name in names:
        node = Collection.objects.get_children(node).filter(name=name).first()
        if node is None:
            return None
    return node


def root_collection_id():
    """Return the root's id: the default collection of an asset made in code."""
    return root_collection().pk


class GroupCollectionPermission(models.Model):
    """A group may do ``permission`` to the assets of ``collection`` and below."""

    group = models.ForeignKey(
        Group,
        verbose_name=_("group"),
        on_delete=models.CASCADE,
        related_name="collection_permissions",
    )
    collection = models.ForeignKey(
        Collection,
        verbose_name=_("collection"),
        on_delete=models.CASCADE,
        related_name="group_permissions",
    )
    permission = models.ForeignKey(
        Permission,
        verbose_name=_("permission"),
        on_delete=models.CASCADE,
        limit_choices_to={
            "content_type__app_label": "transcoder",
            "content_type__model": "asset",
        },
    )

    class Meta:
        verbose_name = _("group collection permission")
        verbose_name_plural = _("group collection permissions")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "collection", "permission"],
                name="group_collection_permission_unique",
            )
        ]

    def __str__(self):
        # "Editors may view images in Marketing", never the code name.
        action = self.permission.codename.split("_", 1)[0]
        fallback = _("%(group)s may %(action)s images in %(where)s")
        text = GRANT_TEXTS.get(action, fallback)
        return str(text) % {
            "group": self.group,
            "action": action,
            "where": self.collection,
        }


# One sentence per action: languages word each verb their own way.
GRANT_TEXTS = {
    "add": _("%(group)s may add images in %(where)s"),
    "view": _("%(group)s may view images in %(where)s"),
    "change": _("%(group)s may change images in %(where)s"),
    "delete": _("%(group)s may delete images in %(where)s"),
}
