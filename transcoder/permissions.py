"""The one policy that says which assets and collections a user may reach.

Like Wagtail's ``CollectionOwnershipPermissionPolicy`` without owners: a
user may ``view``, ``add``, ``change`` or ``delete`` assets in a collection
when one of their groups holds that Django permission (``transcoder.<action>_asset``)
on the collection or on any collection above it (``change`` implies
``view``, as in Django's admin). As in Wagtail, a model-level
permission (granted to the user or a group in Django's own permission lists)
applies at the root, so to every collection; a superuser has them all. An
inactive or anonymous user may do nothing.

Who may give a group a permission on a collection is asked here too
(``may_grant``): only who holds it there, so no one widens their own reach.

Every view, filter, search, bulk action, upload, status or gallery endpoint,
original download and API query asks this module; none filters by collection
on its own.
"""

import hashlib
from functools import reduce
from operator import or_

from django.db.models import Q

from transcoder.conf import setting
from transcoder.models import (
    Asset,
    Change,
    Collection,
    GroupCollectionPermission,
    TrashedAsset,
    UploadRefusal,
    WebhookDelivery,
    WebhookEndpoint,
    collection_at,
)

ACTIONS = ("view", "add", "change", "delete")
_CACHE = "_mediahub_collection_paths"


class PolicyError(ValueError):
    """An action the policy does not know."""


def _check(action):
    if action not in ACTIONS:
        raise PolicyError(f"Unknown action {action!r}; use one of {ACTIONS}.")


def _codenames(action):
    # Changing implies viewing, as in Django's admin.
    return [f"{action}_asset"] + (["change_asset"] if action == "view" else [])


def _granted_paths(user, action):
    """Return the tree paths where ``user``'s groups hold ``action``; None = all."""
    _check(action)
    # Only staff work in mediahub: demoting a user closes every door, tokens too.
    if user is None or not user.is_active or not user.is_staff:
        return []
    codenames = _codenames(action)
    if any(user.has_perm(f"transcoder.{c}") for c in codenames):
        return None
    # Cached on the user object, which lives for one request (or one API call).
    cache = user.__dict__.setdefault(_CACHE, {})
    if action not in cache:
        paths = GroupCollectionPermission.objects.filter(
            group__user=user,
            permission__content_type__app_label="transcoder",
            permission__codename__in=codenames,
        ).values_list("collection__path", flat=True)
        cache[action] = sorted(set(paths))
    return cache[action]


class SystemActor:
    """Work the system starts on its own, named so that logs and checks say who.

    Every system actor's reach is stated here, and nowhere else:

    - ``SYSTEM`` ("s3-event") finalizes a file copied into uploads/ by hand (a
      key nobody minted). It may ``add`` assets to MEDIAHUB_DEFAULT_COLLECTION
      (and ``view`` there, to find what it made and its duplicates), inherited
      down the tree like any grant; it may ``change`` and ``delete`` nothing.
      A key minted for a user is always finalized as that user, never as the
      system.
    - ``WORKER`` ("worker") builds renditions and runs rebuild batches: it may
      ``view`` and ``change`` (rebuild the renditions of) any asset, and add or
      delete none. A bulk job's batches act as the user who started the job,
      asked again at each batch, never as the worker.
    """

    pk = None
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, name, reach, *, everywhere=False):
        self.name = name
        self.reach = tuple(reach)
        self.everywhere = everywhere

    def __str__(self):
        return f"system:{self.name}"

    def paths(self, action):
        """Return the tree paths where this actor may ``action``; None = all."""
        if action not in self.reach:
            return []
        if self.everywhere:
            return None
        found = _default_collection()
        return [found.path] if found is not None else []


SYSTEM = SystemActor("s3-event", ("view", "add"))
WORKER = SystemActor("worker", ("view", "change"), everywhere=True)


class KeyReach:
    """A user's reach cut down to some collections: what a publishable key reads.

    It may only ``view``, and only where its user may view (asked again on
    every call, so a creator who is deactivated, demoted or loses the grant
    takes the key's reach with them) at or below one of ``paths`` (the key's
    chosen collections). No chosen collection left means no reach at all.
    """

    pk = None
    is_superuser = False

    def __init__(self, user, paths):
        self.user = user
        self.chosen = tuple(paths)

    def __str__(self):
        return f"key-of:{self.user}"

    @property
    def is_active(self):
        return self.user is not None and self.user.is_active

    @property
    def is_staff(self):
        return self.user is not None and self.user.is_staff

    def paths(self, action):
        """Return the tree paths where this reach may ``action``: never None."""
        if action != "view" or not self.chosen:
            return []
        granted = _granted_paths(self.user, "view")
        if granted is None:
            return sorted(set(self.chosen))
        # Two subtrees meet in the deeper one, when one holds the other.
        return sorted(
            {g for g in granted for c in self.chosen if g.startswith(c)}
            | {c for c in self.chosen for g in granted if c.startswith(g)}
        )


def _default_collection():
    """Return MEDIAHUB_DEFAULT_COLLECTION's collection, or None while it is missing."""
    return collection_at(setting("DEFAULT_COLLECTION"))


def _paths(actor, action):
    """Return the paths where ``actor`` may ``action``: None = all, [] = none."""
    if isinstance(actor, SystemActor | KeyReach):
        _check(action)
        return actor.paths(action)
    return _granted_paths(actor, action)


def _under(paths, prefix=""):
    """Return a Q matching collection paths at or below any of ``paths``."""
    return reduce(or_, (Q(**{f"{prefix}path__startswith": p}) for p in paths))


def collections(user, action="view"):
    """Return the collections whose assets ``user`` may ``action``, in tree order."""
    paths = _paths(user, action)
    queryset = Collection.objects.order_by("path")
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    return queryset.filter(_under(paths))


def assets(user, action="view", queryset=None):
    """Narrow ``queryset`` (all live assets by default: ``Asset.objects`` leaves
    the Trash out) to those ``user`` may ``action``."""
    queryset = Asset.objects.all() if queryset is None else queryset
    paths = _paths(user, action)
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    return queryset.filter(_under(paths, "collection__"))


def trashed_assets(user, queryset=None):
    """Narrow the Trash to what ``user`` may see and restore or erase there:
    the trashed assets of the collections where they may delete."""
    queryset = TrashedAsset.objects.all() if queryset is None else queryset
    return assets(user, "delete", queryset)


def changes(user, queryset=None):
    """Narrow the change log to what ``user`` may view: changes of assets in
    collections they may view, and moves out of one (``previous_collection_id``),
    so whoever saw an asset learns it left their view."""
    queryset = Change.objects.all() if queryset is None else queryset
    paths = _paths(user, "view")
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    ids = collections(user, "view").values("pk")
    return queryset.filter(Q(collection_id__in=ids) | Q(previous_collection_id__in=ids))


def reach_mark(user, ids, action="view"):
    """Return a short mark of ``ids``, the collections where ``user`` may
    ``action`` (``collections``), "all" everywhere: the change feed's cursors
    keep it, so that a grant, a collection moved or made, or the owner's
    groups changing it is seen."""
    if _paths(user, action) is None:
        return "all"
    return hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]


def may(user, action, asset=None):
    """Tell whether ``user`` may ``action`` ``asset``, or some asset when None."""
    paths = _paths(user, action)
    if paths is None:
        return True
    if not paths:
        return False
    if asset is None:
        return True
    return may_in(user, action, asset.collection)


def may_in(user, action, collection):
    """Tell whether ``user`` may ``action`` assets in ``collection``."""
    paths = _paths(user, action)
    if paths is None:
        return True
    return any(collection.path.startswith(p) for p in paths)


def forget(user):
    """Drop what this request cached of ``user``'s reach (the tree has moved)."""
    if not isinstance(user, SystemActor) and user is not None:
        user.__dict__.pop(_CACHE, None)


# --- who may give which permission on which collection ------------------------

GRANT_EDIT = (
    "transcoder.add_groupcollectionpermission",
    "transcoder.delete_groupcollectionpermission",
)
GRANT_VIEW = (
    "transcoder.view_groupcollectionpermission",
    "transcoder.change_groupcollectionpermission",
)


def _staff(user):
    return (
        user is not None
        and not isinstance(user, SystemActor)
        and user.is_active
        and user.is_staff
    )


def may_see_grants(user):
    """Tell whether ``user`` may see which groups hold what on a collection."""
    return _staff(user) and (
        may_edit_grants(user) or any(user.has_perm(p) for p in GRANT_VIEW)
    )


def may_edit_grants(user):
    """Tell whether ``user`` may edit collections' group permissions at all.

    The same model permissions the inline of group permissions asked for: a
    tick in the grid adds a row and clearing it deletes one, so both.
    """
    return _staff(user) and user.has_perms(GRANT_EDIT)


def may_grant(user, action, collection, *, parent=None):
    """Tell whether ``user`` may give or take away ``action`` on ``collection``.

    No one passes on what they do not hold: the user must themselves be
    allowed ``action`` on the assets there (a superuser or a model-wide
    permission everywhere, a group's grant at or above the collection).
    ``parent`` is where a new collection (``collection`` None or unsaved)
    or a moving one will sit; a moving one keeps its own grants.
    """
    _check(action)
    if not may_edit_grants(user):
        return False
    if collection is None or collection.pk is None:
        return may_in(user, action, parent)
    if parent is None or collection.is_child_of(parent) or collection.is_root():
        return may_in(user, action, collection)
    return may_in(user, action, parent) or (
        GroupCollectionPermission.objects.filter(
            group__user=user,
            collection=collection,
            permission__content_type__app_label="transcoder",
            permission__codename__in=_codenames(action),
        ).exists()
    )


def _inherited(collection):
    """Return {(group id, action)} granted at ``collection`` or above it."""
    rows = GroupCollectionPermission.objects.filter(
        Q(collection=collection)
        | Q(collection__in=Collection.objects.get_ancestors(collection)),
        permission__content_type__app_label="transcoder",
    ).values_list("group_id", "permission__codename")
    return {(g, a) for g, code in rows for a in ACTIONS if code in _codenames(a)}


def move_refusals(user, collection, parent):
    """Return the actions ``user`` may not pass on by moving ``collection``
    (with its subtree) under ``parent``, in ACTIONS order; [] if none.

    A move gives the subtree's assets to the groups granted along the new
    path and takes them from those granted along the old one only: each
    action whose holders change needs ``may_grant``, as in the grid.
    """
    if collection.pk is None or parent is None or collection.is_root():
        return []
    if collection.is_child_of(parent):
        return []
    before = _inherited(Collection.objects.get_parent(collection))
    changed = {action for _, action in before ^ _inherited(parent)}
    return [
        action
        for action in ACTIONS
        if action in changed and not may_grant(user, action, collection)
    ]


def may_any(user, actions=ACTIONS):
    """Tell whether ``user`` may do any of ``actions`` to some asset."""
    return any(may(user, action) for action in actions)


def visible_asset(user, pk, action="view"):
    """Return the asset ``pk`` if ``user`` may ``action`` it, else None."""
    return assets(user, action).filter(pk=pk).first()


def upload_refusals(user, queryset=None):
    """Narrow refused uploads to those ``user`` may see: of keys minted to
    them, or in collections where they may add images and view them (a
    refusal's file name and reason are the collection's to know). A refusal
    that names no collection (a file copied in by hand) is seen by who may
    add and view everywhere."""
    queryset = UploadRefusal.objects.all() if queryset is None else queryset
    if user is None or not user.is_active or not user.is_staff:
        return queryset.none()
    if _paths(user, "add") is None and _paths(user, "view") is None:
        return queryset
    there = Q(collection__in=collections(user, "add")) & Q(
        collection__in=collections(user, "view")
    )
    return queryset.filter(Q(user=user) | there)


def webhook_endpoints(user, queryset=None):
    """Narrow webhook endpoints to those ``user`` manages: their own (a
    superuser's: all). An endpoint hears only what its creator may view."""
    queryset = WebhookEndpoint.objects.all() if queryset is None else queryset
    if not _staff(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(created_by=user)


def webhook_deliveries(user, queryset=None):
    """Narrow webhook deliveries to those of the endpoints ``user`` manages."""
    queryset = WebhookDelivery.objects.all() if queryset is None else queryset
    return queryset.filter(endpoint__in=webhook_endpoints(user))
