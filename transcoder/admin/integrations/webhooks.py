"""Admin for webhooks: each editor's endpoints, and the log of deliveries."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from transcoder import permissions, services
from transcoder.models import Event, WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    user = None
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "collections", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        creator = self.instance.created_by if self.instance.pk else self.user
        if "collections" in self.fields:
            self.fields["collections"].queryset = permissions.collections(
                creator, "view"
            )

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            services.outbox.webhooks.webhook_url_check(url)
        except services.WebhookUrlError as e:
            raise ValidationError(e.messages[0]) from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Each user sees and manages only the endpoints they made; a superuser, all."""

    form = WebhookEndpointForm
    list_display = ["__str__", "url", "active", "created_by", "created_at"]
    list_filter = ["active"]
    list_select_related = ["created_by"]
    readonly_fields = ["secret", "created_by", "created_at"]
    filter_horizontal = ["collections"]

    def get_fields(self, request, obj=None):
        fields = ["url", "description", "events", "collections", "active"]
        if obj is None:
            return fields
        return [*fields, "secret", "created_by", "created_at"]

    def get_queryset(self, request):
        return permissions.webhook_endpoints(
            request.user, super().get_queryset(request)
        )

    def get_object(self, request, object_id, from_field=None):
        """Answer 404 for an endpoint that is not yours, as for one that is gone."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("There is no webhook endpoint of yours with this id."))
        return obj

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def save_model(self, request, obj, form, change):
        try:
            services.webhook_endpoint_save(
                endpoint=obj,
                user=request.user,
                collections=list(form.cleaned_data.get("collections") or []),
            )
        except services.WebhookError as e:
            raise ValidationError(str(e)) from None

    def save_related(self, request, form, formsets, change):
        """The collections were set by the service."""


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """What was sent where, and how it went; "Resend" sends it again."""

    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "response_ms",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event"]
    list_select_related = ["endpoint"]
    actions = ["resend"]
    fields = [
        "endpoint",
        "event",
        "status",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "last_status_code",
        "response_ms",
        "last_error",
        "response_excerpt",
        "payload",
        "resent_from",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return permissions.webhook_deliveries(
            request.user, super().get_queryset(request)
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("There is no webhook delivery of yours with this id."))
        return obj

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Resend"), permissions=["view"])
    def resend(self, request, queryset):
        sent = 0
        for delivery in queryset:
            try:
                services.webhook_resend(delivery=delivery, user=request.user)
            except services.WebhookError as e:
                self.message_user(request, str(e), messages.ERROR)
            else:
                sent += 1
        self.message_user(
            request,
            ngettext("%(n)d delivery sent again.", "%(n)d deliveries sent again.", sent)
            % {"n": sent},
            messages.SUCCESS,
        )
