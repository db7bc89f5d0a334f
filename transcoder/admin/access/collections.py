"""The collection tree in the admin, its group permissions, and moving assets.

Imported from transcoder.admin.images.listing. Who may see or move which asset
is decided by transcoder.permissions; this module only shows and asks.
"""

from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext, gettext_lazy, ngettext

from transcoder import permissions, selectors, services
from transcoder.admin.access.permission_grid import TITLES, PermissionGridMixin
from transcoder.models import Asset, Collection, root_collection

# Assets named on a collection's delete page, for a user with limited reach.
PROTECTED_SHOWN = 20

# --- the asset list: a filter, narrowed actions and "Move to collection…" -----


class CollectionFilter(admin.SimpleListFilter):
    """Filter by collection, with its children; only collections the user sees."""

    title = gettext_lazy("collection")
    parameter_name = "collection"

    def lookups(self, request, model_admin):
        return [
            (str(c.pk), c.label) for c in permissions.collections(request.user, "view")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        chosen = Collection.objects.filter(pk=int(value)).first()
        if chosen is None:
            return queryset.none()
        # The queryset is already the user's; this only narrows it.
        return queryset.filter(collection__path__startswith=chosen.path)


ACTION_PERMISSIONS = ("delete", "change", "add", "view")


def narrowed(func):
    """Wrap an admin action so it gets only the assets its permission allows.

    The change list holds what the user may *view*; an action marked
    ``permissions=["change"]`` (or delete) must not touch the rest, whether
    picked one by one or with "select all".
    """
    allowed = getattr(func, "allowed_permissions", ())
    needed = [p for p in ACTION_PERMISSIONS if p in allowed]

    @wraps(func)
    def action(modeladmin, request, queryset):
        for permission in needed[:1]:
            queryset = permissions.assets(request.user, permission, queryset)
        return func(modeladmin, request, queryset)

    return action


class MoveForm(forms.Form):
    collection = forms.ModelChoiceField(
        queryset=Collection.objects.none(),
        label=gettext_lazy("Move to"),
        empty_label=None,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["collection"]
        field.queryset = permissions.collections(user, "add")
        field.label_from_instance = lambda c: c.label


def move_view(model_admin, request, queryset):
    """Ask where to move the selected assets, then move them (an intermediate page)."""
    form = MoveForm(
        request.POST if "apply" in request.POST else None, user=request.user
    )
    if form.is_valid():
        target = form.cleaned_data["collection"]
        moved = services.assets_move(
            asset_ids=queryset.values_list("pk", flat=True), collection=target
        )
        model_admin.message_user(
            request,
            ngettext(
                "Moved %(count)d asset to %(collection)s.",
                "Moved %(count)d assets to %(collection)s.",
                moved,
            )
            % {"count": moved, "collection": target.name},
            messages.SUCCESS,
        )
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": gettext("Move to collection"),
        "form": form,
        "assets": queryset[:100],
        "count": queryset.count(),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "query": request.GET.urlencode(),
    }
    return TemplateResponse(
        request, "admin/transcoder/asset/move_to_collection.html", context
    )


# --- the collection tree ---------------------------------------------------------


class CollectionForm(PermissionGridMixin, forms.ModelForm):
    parent = forms.ModelChoiceField(
        queryset=Collection.objects.order_by("path"),
        required=False,
        label=gettext_lazy("Parent"),
        help_text=gettext_lazy("The collection this one sits in."),
    )

    class Meta:
        model = Collection
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["parent"]
        field.label_from_instance = lambda c: c.label
        instance = self.instance
        if instance.pk:
            if instance.is_root():
                del self.fields["parent"]
                self.build_grid(instance, None)
                return
            # Not into itself or below itself.
            field.queryset = field.queryset.exclude(path__startswith=instance.path)
            field.initial = Collection.objects.get_parent(instance)
            self.build_grid(instance, None)
        else:
            field.initial = self.initial.get("parent") or root_collection()
            # A new collection inherits its parent's permissions: the chosen one.
            chosen = self.data.get(self.add_prefix("parent"), field.initial)
            chosen = getattr(chosen, "pk", chosen)
            parent = None
            if str(chosen).isdigit():
                parent = field.queryset.filter(pk=int(chosen)).first()
            self.build_grid(None, parent or root_collection())
        field.required = True

    def clean(self):
        data = super().clean()
        parent, name = data.get("parent"), (data.get("name") or "").strip()
        if self.instance.pk:
            self.clean_grid(self.instance, parent)
            self.clean_move(parent)
        elif parent is not None:
            self.clean_grid(None, parent)
        if parent is not None and name:
            siblings = Collection.objects.get_children(parent).filter(name=name)
            if self.instance.pk:
                siblings = siblings.exclude(pk=self.instance.pk)
            if siblings.exists():
                raise forms.ValidationError(
                    gettext("%(parent)s already has a collection named %(name)s.")
                    % {"parent": parent.name, "name": name}
                )
        return data

    def clean_move(self, parent):
        """Refuse a move that would give or take away what this user may not
        grant: the collection's assets inherit the grants of the new place."""
        refused = permissions.move_refusals(self.mh_user, self.instance, parent)
        if refused:
            actions = [str(TITLES[action]).lower() for action in refused]
            self.add_error(
                "parent",
                gettext(
                    "Moving %(name)s under %(parent)s would give or take away "
                    "%(actions)s on its images: only who holds a permission "
                    "there may pass it on."
                )
                % {
                    "name": self.instance.name,
                    "parent": parent.name,
                    "actions": get_text_list(actions, gettext("and")),
                },
            )


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    form = CollectionForm
    list_display = ["tree_name", "asset_count"]
    actions = None
    ordering = ["path"]

    def get_fields(self, request, obj=None):
        # The root has no parent to choose (CollectionForm drops the field).
        if obj is not None and obj.is_root():
            return ["name"]
        return super().get_fields(request, obj)

    def get_queryset(self, request):
        # Each collection's assets are counted within what this user may view.
        visible = selectors.view_reach(request.user)
        # A join ignores the default manager: the Trash is left out here.
        within = (
            Q(assets__trashed_at__isnull=True)
            if visible is None
            else Q(assets__in=visible.values("pk"))
        )
        return (
            super()
            .get_queryset(request)
            .annotate(mh_assets=Count("assets", filter=within))
        )

    @admin.display(description=gettext_lazy("Collection"))
    def tree_name(self, obj):
        return obj.label

    @admin.display(description=gettext_lazy("Assets"), ordering="mh_assets")
    def asset_count(self, obj):
        return obj.mh_assets

    def get_form(self, request, obj=None, **kwargs):
        # The grid asks the policy about this user.
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"mh_user": request.user})

    def save_model(self, request, obj, form, change):
        parent = form.cleaned_data.get("parent")
        if not change:
            made = services.collection_create(parent=parent, name=obj.name)
            # The grid, saved next, saves against this instance.
            obj.pk, obj.path, obj.depth = made.pk, made.path, made.depth
            obj.numchild = made.numchild
            obj._state.adding = False
            return
        made = services.collection_update(
            collection=obj, name=obj.name, parent=parent, user=request.user
        )
        obj.path, obj.depth = made.path, made.depth

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        grants = form.grid_grants()
        if grants is not None:
            services.collection_permissions_set(
                collection=form.instance, grants=grants, user=request.user
            )

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_root():
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        # Django's summary names every asset that protects the collection.
        # A user limited to some collections is shown only those they may
        # view, and one line, without a count, for the others.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        visible = selectors.view_reach(request.user)
        if protected and not Asset.objects.filter(collection__in=objs).exists():
            # Only trashed assets: they move to the default collection.
            protected = []
        if visible is None or not protected:
            return deleted, counts, perms_needed, protected
        held = Asset.objects.filter(collection__in=objs)
        shown = [
            format_html(
                '{}: <a href="{}">{}</a>',
                capfirst(Asset._meta.verbose_name),
                reverse("admin:transcoder_asset_change", args=[a.pk]),
                a,
            )
            for a in visible.filter(pk__in=held.values("pk")).order_by("title")[
                :PROTECTED_SHOWN
            ]
        ]
        if held.exclude(pk__in=visible.values("pk")).exists():
            shown.append(gettext("Images in collections you may not view"))
        return deleted, counts, perms_needed, shown

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "POST":
            # Django's own view checks this; the service call below skips it.
            if not self.has_delete_permission(request, obj):
                raise PermissionDenied
            if selectors.view_reach(request.user) is not None and obj.assets.exists():
                # The service's message counts every asset, seen or not.
                message = gettext(
                    "%(name)s still holds images; move them to another "
                    "collection first."
                )
                self.message_user(request, message % {"name": obj.name}, messages.ERROR)
                return HttpResponseRedirect(
                    reverse("admin:transcoder_collection_change", args=[obj.pk])
                )
            try:
                services.collection_delete(collection=obj)
            except services.CollectionError as e:
                self.message_user(request, e.messages[0], messages.ERROR)
                return HttpResponseRedirect(
                    reverse("admin:transcoder_collection_change", args=[obj.pk])
                )
            self.message_user(
                request,
                gettext("Deleted the collection %(name)s.") % {"name": obj.name},
            )
            return HttpResponseRedirect(
                reverse("admin:transcoder_collection_changelist")
            )
        return super().delete_view(request, object_id, extra_context)
