"""The group permissions of a collection as a grid: a row per group, a column
per action, as in Wagtail.

A tick is a group's own permission on this collection. What the group holds
from a collection above (or everywhere, through Django's own group
permissions) shows ticked and disabled with where it comes from, and is
never stored here. A cell the editor may not change (the policy's
``may_grant``) is disabled too and keeps what is stored.
"""

from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext, gettext_lazy

from transcoder import permissions
from transcoder.models import Collection, GroupCollectionPermission

# The grid's columns, in the order editors read them.
COLUMNS = ("add", "view", "change", "delete")
TITLES = {
    "add": gettext_lazy("Add"),
    "view": gettext_lazy("View"),
    "change": gettext_lazy("Change"),
    "delete": gettext_lazy("Delete"),
}
NEW = "new_group"


@dataclass
class Cell:
    action: str
    label: str
    id: str
    checked: bool = False
    source: str = ""  # where an inherited permission comes from
    field: object = None  # the bound form field when the editor may change it


@dataclass
class Row:
    group: object
    cells: list = field(default_factory=list)


def _name(group_id, action):
    return f"perm-{group_id}-{action}"


def _inherited(chain):
    """Return {(group id, action): source name} held above: the nearest wins."""
    found = {}
    everywhere = gettext("all collections")
    for group in Group.objects.filter(
        permissions__content_type__app_label="transcoder",
        permissions__codename__in=[f"{a}_asset" for a in COLUMNS],
    ).prefetch_related("permissions"):
        for p in group.permissions.all():
            action = p.codename.removesuffix("_asset")
            if p.content_type.app_label == "transcoder" and action in COLUMNS:
                found[(group.pk, action)] = everywhere
    rows = GroupCollectionPermission.objects.filter(
        collection__in=chain, permission__content_type__app_label="transcoder"
    ).select_related("collection", "permission")
    for row in sorted(rows, key=lambda r: r.collection.depth):
        action = row.permission.codename.removesuffix("_asset")
        if action in COLUMNS and found.get((row.group_id, action)) != everywhere:
            found[(row.group_id, action)] = row.collection.name
    return found


class PermissionGridMixin:
    """Add the grid's fields to the collection form; ``mh_user`` edits it."""

    mh_user = None

    def build_grid(self, collection, parent):
        """Make the rows and fields of ``collection`` (None: new, under ``parent``)."""
        self.grid = None
        user = self.mh_user
        if not permissions.may_see_grants(user):
            return
        if collection is not None:
            chain = list(Collection.objects.get_ancestors(collection))
        else:
            chain = [*Collection.objects.get_ancestors(parent), parent]
        inherited = _inherited(chain)
        own = set()
        if collection is not None:
            for row in GroupCollectionPermission.objects.filter(
                collection=collection
            ).select_related("permission"):
                own.add((row.group_id, row.permission.codename.removesuffix("_asset")))
        shown = {g for g, _ in own} | {g for g, _ in inherited}
        editable = {
            a: permissions.may_grant(user, a, collection, parent=parent)
            for a in COLUMNS
        }
        self.grid_own = own
        self.grid_rows = []
        for group in Group.objects.filter(pk__in=shown).order_by("name"):
            row = Row(group)
            for action in COLUMNS:
                key = (group.pk, action)
                name = _name(group.pk, action)
                label = gettext("%(group)s: %(action)s") % {
                    "group": group.name,
                    "action": TITLES[action].lower(),
                }
                cell = Cell(action, label, f"id_{name}", source=inherited.get(key, ""))
                cell.checked = key in own or bool(cell.source)
                # An inherited tick with no row of its own has nothing to change.
                if editable[action] and (key in own or not cell.source):
                    self.fields[name] = forms.BooleanField(
                        required=False, initial=key in own, label=label
                    )
                    if cell.source:
                        attrs = self.fields[name].widget.attrs
                        attrs["aria-describedby"] = f"{cell.id}-from"
                    cell.field = self[name]
                row.cells.append(cell)
            self.grid_rows.append(row)
        self.grid_new = []
        if any(editable.values()):
            self.fields[NEW] = forms.ModelChoiceField(
                queryset=Group.objects.exclude(pk__in=shown).order_by("name"),
                required=False,
                label=gettext("Add a group"),
                empty_label=gettext("Choose a group…"),
            )
            for action in COLUMNS:
                if editable[action]:
                    name = _name("new", action)
                    label = gettext("New group: %(action)s") % {
                        "action": TITLES[action].lower()
                    }
                    self.fields[name] = forms.BooleanField(required=False, label=label)
                    self.grid_new.append(Cell(action, label, f"id_{name}"))
                    self.grid_new[-1].field = self[name]
                else:
                    self.grid_new.append(None)
        self.grid = {
            "columns": [TITLES[a] for a in COLUMNS],
            "rows": self.grid_rows,
            "new": self.grid_new,
            "new_field": self[NEW] if NEW in self.fields else None,
            "editable": any(editable.values()),
        }

    def clean_grid(self, collection, parent):
        """Check the grid against the policy at the place the form saves to."""
        if self.grid is None or not self.grid["editable"]:
            return
        new_group = self.cleaned_data.get(NEW)
        ticked_new = [
            a for a in COLUMNS if self.cleaned_data.get(_name("new", a)) is True
        ]
        if ticked_new and new_group is None:
            message = gettext("Choose the group the new row's ticks are for.")
            self.add_error(NEW, message)
        changed = {
            action
            for row in self.grid_rows
            for action in COLUMNS
            if _name(row.group.pk, action) in self.fields
            and self.cleaned_data.get(_name(row.group.pk, action))
            != ((row.group.pk, action) in self.grid_own)
        } | set(ticked_new if new_group is not None else [])
        for action in COLUMNS:
            if action in changed and not permissions.may_grant(
                self.mh_user, action, collection, parent=parent
            ):
                where = parent.name if collection is None else collection.name
                self.add_error(
                    None,
                    gettext(
                        "You may not give or take away %(action)s in %(where)s: "
                        "only who holds a permission there may pass it on."
                    )
                    % {"action": TITLES[action].lower(), "where": where},
                )

    def grid_grants(self):
        """Return {group id: actions} to store, or None if the grid is not edited."""
        if self.grid is None or not self.grid["editable"]:
            return None
        grants = {}
        for row in self.grid_rows:
            actions = set()
            for action in COLUMNS:
                name = _name(row.group.pk, action)
                if name in self.fields:
                    if self.cleaned_data.get(name):
                        actions.add(action)
                elif (row.group.pk, action) in self.grid_own:
                    actions.add(action)
            grants[row.group.pk] = actions
        new_group = self.cleaned_data.get(NEW)
        if new_group is not None:
            grants[new_group.pk] = {
                a for a in COLUMNS if self.cleaned_data.get(_name("new", a)) is True
            }
        return grants
