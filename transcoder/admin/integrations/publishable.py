"""Admin for publishable keys: each user manages the keys they made; a superuser, all.

As with API tokens, a key reads as its creator: the collections offered are
those its creator may view, and the service checks them again on save.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from transcoder import permissions
from transcoder.admin.integrations.keys import OwnKeysAdmin
from transcoder.models import Collection, PublishableKey
from transcoder.services.access import publishable


class PublishableKeyForm(forms.ModelForm):
    user = None

    collections = forms.ModelMultipleChoiceField(
        queryset=Collection.objects.none(),
        help_text=_(
            "The key reads images in these collections and the ones below them, "
            "where its creator may view."
        ),
    )

    class Meta:
        model = PublishableKey
        fields = ["name", "allowed_origins", "collections"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collections"].queryset = permissions.collections(
            self._creator(), "view"
        )

    def _creator(self):
        return self.instance.created_by if self.instance.pk else self.user

    def clean_allowed_origins(self):
        return publishable.publishable_origins_clean(
            self.cleaned_data["allowed_origins"]
        )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not self.instance.active:
            raise ValidationError(
                _("This key was revoked, and revoking is final. Create a new key.")
            )
        if "collections" in cleaned:
            publishable.publishable_collections_check(
                user=self._creator(), collections=list(cleaned["collections"])
            )
        return cleaned


@admin.register(PublishableKey)
class PublishableKeyAdmin(OwnKeysAdmin):
    form = PublishableKeyForm
    list_display = [
        "name",
        "key",
        "origins_list",
        "active",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["active"]
    list_select_related = ["created_by"]
    readonly_fields = [
        "key",
        "usage",
        "active",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]
    not_yours = _("There is no publishable key of yours with this id.")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "allowed_origins", "collections"]
        return [
            "name",
            "key",
            "usage",
            "allowed_origins",
            "collections",
            "active",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    @admin.display(description=_("Allowed origins"))
    def origins_list(self, obj):
        return ", ".join(obj.origins)

    @admin.display(description=_("In a page"))
    def usage(self, obj):
        return format_html(
            "<code>fetch(&quot;/api/assets/?key={}&quot;)</code><br>{}",
            obj.key,
            _(
                "Prefix the path with this site's address. Answers may be cached "
                "for a minute; only the origins above may read them."
            ),
        )

    def get_queryset(self, request):
        return publishable.publishable_keys_managed(
            user=request.user, queryset=super().get_queryset(request)
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_changeform_initial_data(self, request):
        return {}

    def save_model(self, request, obj, form, change):
        chosen = list(form.cleaned_data["collections"])
        if change:
            publishable.publishable_key_save(
                key=obj, user=request.user, collections=chosen
            )
        else:
            publishable.publishable_key_issue(
                key=obj, user=request.user, collections=chosen
            )

    def save_related(self, request, form, formsets, change):
        """The service set the collections with the key, after its checks."""

    @admin.action(
        description=_("Revoke the selected publishable keys"), permissions=["change"]
    )
    def revoke(self, request, queryset):
        revoked = 0
        for key in queryset.filter(active=True):
            publishable.publishable_key_revoke(key=key, user=request.user)
            revoked += 1
        self.message_user(
            request,
            ngettext(
                "Revoked %(count)d key; its next request is refused, and caches "
                "stop serving its answers within a minute.",
                "Revoked %(count)d keys; their next requests are refused, and "
                "caches stop serving their answers within a minute.",
                revoked,
            )
            % {"count": revoked},
            messages.SUCCESS if revoked else messages.WARNING,
        )
