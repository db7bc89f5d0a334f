"""Admin for what sites hold: API tokens (scoped) and embed site keys."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from transcoder.models import ApiToken, SiteKey
from transcoder.services.access import sitekeys, tokens


class ApiTokenForm(forms.ModelForm):
    user = None

    class Meta:
        model = ApiToken
        fields = ["name", "active", "scope_read", "scope_write"]
        help_texts = {
            "active": _(
                "Untick to revoke the token for good: its key stops working and "
                "cannot be switched back on."
            ),
            "scope_read": _(
                "List and view images, in the collections its creator may view."
            ),
            "scope_write": _(
                "Upload, edit and delete images, where its creator may do the same."
            ),
        }

    def clean(self):
        cleaned = super().clean()
        editing = self.instance.pk is not None
        if editing and not self.instance.active:
            raise ValidationError(
                _("This token was revoked, and revoking is final. Create a new one.")
            )
        if not cleaned.get("active", True):
            return cleaned  # a revoked token reaches nothing: any scopes will do
        wanted = ApiToken(
            scope_read=cleaned.get("scope_read", False),
            scope_write=cleaned.get("scope_write", False),
        )
        # The token acts as its creator: check the creator, not the editor.
        creator = self.instance.created_by if editing else self.user
        try:
            tokens.api_token_scopes_check(token=wanted, user=creator)
        except tokens.TokenScopeError as e:
            raise ValidationError(str(e)) from None
        return cleaned


class OwnKeysAdmin(admin.ModelAdmin):
    """Keys a user made are theirs alone (a superuser sees all): someone else's
    is not found (404), an action on a selection holding one is refused, and a
    revoked key's page is read-only for everyone. ``get_queryset`` gives the
    keys the user manages; ``not_yours`` is the 404's message."""

    not_yours = None  # each admin says what it keeps

    def response_action(self, request, queryset, **kwargs):
        """Refuse an action on a selection that holds someone else's key."""
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(pk.isascii() and pk.isdigit() for pk in selected):
            raise PermissionDenied
        found = self.get_queryset(request).filter(pk__in=selected).count()
        if found != len(set(selected)):
            raise PermissionDenied
        return super().response_action(request, queryset, **kwargs)

    def get_object(self, request, object_id, from_field=None):
        """Answer 404 for a key that is not yours, as for one that is gone."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(self.not_yours)
        return obj

    def _manages(self, request, obj):
        return (
            obj is None
            or request.user.is_superuser
            or obj.created_by_id == request.user.pk
        )

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._manages(request, obj)

    def has_change_permission(self, request, obj=None):
        # A revoked key stays revoked: its page is read-only for everyone.
        return (
            super().has_change_permission(request, obj)
            and self._manages(request, obj)
            and (obj is None or obj.active)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._manages(
            request, obj
        )


@admin.register(ApiToken)
class ApiTokenAdmin(OwnKeysAdmin):
    """Each user sees and manages only the tokens they made; a superuser, all."""

    form = ApiTokenForm
    list_display = [
        "name",
        "prefix",
        "scope_read",
        "scope_write",
        "active",
        "created_by",
        "created_at",
        "last_used_at",
    ]
    list_filter = ["active", "scope_read", "scope_write"]
    list_select_related = ["created_by"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at"]
    actions = ["revoke"]
    not_yours = _("There is no API token of yours with this id.")

    def get_fields(self, request, obj=None):
        if obj is None:  # a new token is active and made by whoever adds it
            return ["name", "scope_read", "scope_write"]
        return [
            "name",
            "prefix",
            "created_by",
            "active",
            "scope_read",
            "scope_write",
            "created_at",
            "last_used_at",
        ]

    def get_queryset(self, request):
        return tokens.api_tokens_managed(
            user=request.user, queryset=super().get_queryset(request)
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        if change:
            tokens.api_token_save(token=obj, user=request.user)
            return
        request.mediahub_token_key = tokens.api_token_issue(
            token=obj, user=request.user
        )

    @admin.action(
        description=_("Revoke the selected API tokens"), permissions=["change"]
    )
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(active=True):
            tokens.api_token_revoke(token=token, user=request.user)
            revoked += 1
        if not revoked:
            self.message_user(
                request,
                _("None of the selected tokens was active; nothing was revoked."),
                messages.WARNING,
            )
            return
        self.message_user(
            request,
            ngettext(
                "Revoked %(count)d token; its key now answers 401 for good.",
                "Revoked %(count)d tokens; their keys now answer 401 for good.",
                revoked,
            )
            % {"count": revoked},
        )

    def response_add(self, request, obj, post_url_continue=None):
        """Show the new key in this response's body only, never in a cookie."""
        key = getattr(request, "mediahub_token_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Copy the new API key"),
            "token": obj,
            "key": key,
            "changelist_url": reverse("admin:transcoder_apitoken_changelist"),
        }
        response = TemplateResponse(
            request, "admin/transcoder/apitoken/key_shown.html", context
        )
        response["Cache-Control"] = "private, no-store"
        return response


class SiteKeyForm(forms.ModelForm):
    class Meta:
        model = SiteKey
        fields = ["name", "allowed_origins"]

    def clean_allowed_origins(self):
        return sitekeys.origins_clean(self.cleaned_data["allowed_origins"])


@admin.register(SiteKey)
class SiteKeyAdmin(admin.ModelAdmin):
    form = SiteKeyForm
    list_display = [
        "name",
        "key",
        "origins_list",
        "active",
        "request_count",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["active"]
    readonly_fields = ["key", "active", "request_count", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("Allowed origins"))
    def origins_list(self, obj):
        return ", ".join(obj.origins) or _("Any")

    def save_model(self, request, obj, form, change):
        if change:
            # Only the edited fields: a revocation made meanwhile stays.
            obj.save(update_fields=["name", "allowed_origins"])
        else:
            sitekeys.site_key_issue(site_key=obj)

    @admin.action(
        description=_("Revoke the selected site keys"), permissions=["change"]
    )
    def revoke(self, request, queryset):
        for site_key in queryset.filter(active=True):
            sitekeys.site_key_revoke(site_key=site_key)
        self.message_user(request, _("Revoked; their embed links now answer 403."))
