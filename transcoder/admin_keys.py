"""Admin for what sites hold: API tokens (scoped) and embed site keys."""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse

from transcoder.models import ApiToken, SiteKey
from transcoder.services import sitekeys, tokens


class ApiTokenForm(forms.ModelForm):
    user = None

    class Meta:
        model = ApiToken
        fields = ["name", "active", "scope_read", "scope_write"]

    def clean(self):
        cleaned = super().clean()
        wanted = ApiToken(
            scope_read=cleaned.get("scope_read", False),
            scope_write=cleaned.get("scope_write", False),
        )
        try:
            tokens.api_token_scopes_check(token=wanted, user=self.user)
        except tokens.TokenScopeError as e:
            raise ValidationError(str(e)) from None
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
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

    def response_add(self, request, obj, post_url_continue=None):
        """Show the new key in this response's body only, never in a cookie."""
        key = getattr(request, "mediahub_token_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Copy the new API key",
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
        lines = self.cleaned_data["allowed_origins"].split()
        for line in lines:
            parts = urlsplit(line)
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or parts.path not in ("", "/")
                or parts.query
                or parts.fragment
            ):
                raise ValidationError(
                    f"{line!r} is not an origin; write it as https://www.example.com."
                )
        return "\n".join(line.rstrip("/").lower() for line in lines)


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

    @admin.display(description="Allowed origins")
    def origins_list(self, obj):
        return ", ".join(obj.origins) or "Any"

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
        else:
            sitekeys.site_key_issue(site_key=obj)

    @admin.action(description="Revoke the selected site keys", permissions=["change"])
    def revoke(self, request, queryset):
        for site_key in queryset.filter(active=True):
            sitekeys.site_key_revoke(site_key=site_key)
        self.message_user(request, "Revoked; their embed links now answer 403.")
