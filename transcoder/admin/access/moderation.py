"""The upload widget in the admin: its keys, and the moderation queue.

Upload keys are managed like site keys (by whoever has the model's
permissions; each key acts as its creator, who must be able to add to its
collection). The queue shows each editor the uploads sent with keys for
collections they may add to; they approve them into a collection they may
add to, or reject them with a reason, one or many at once.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from transcoder import permissions
from transcoder.imaging.decode import sniff
from transcoder.models.widget import WIDGET_FORMATS, UploadWidgetKey, WidgetUpload
from transcoder.services.access import moderation, sitekeys
from transcoder.services.access import widget as service


class UploadWidgetKeyForm(forms.ModelForm):
    user = None

    class Meta:
        model = UploadWidgetKey
        fields = [
            "name",
            "allowed_origins",
            "collection",
            "formats",
            "max_bytes",
            "rate_per_hour",
            "rate_per_visitor",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        creator = self.instance.created_by if self.instance.pk else self.user
        self.fields["collection"].queryset = permissions.collections(creator, "add")

    def clean_allowed_origins(self):
        return sitekeys.origins_clean(
            self.cleaned_data["allowed_origins"],
            empty=_("Give at least one origin."),
        )

    def clean_formats(self):
        chosen = self.cleaned_data["formats"].lower().split()
        unknown = [f for f in chosen if f not in WIDGET_FORMATS]
        if unknown or not chosen:
            raise ValidationError(
                _("Choose among: %(formats)s.") % {"formats": " ".join(WIDGET_FORMATS)}
            )
        return " ".join(dict.fromkeys(chosen))


@admin.register(UploadWidgetKey)
class UploadWidgetKeyAdmin(admin.ModelAdmin):
    form = UploadWidgetKeyForm
    list_display = ["name", "key", "collection", "formats", "active", "revoked_at"]
    list_filter = ["active"]
    list_select_related = ["collection"]
    readonly_fields = ["key", "active", "created_by", "revoked_at"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=[f for f in form.changed_data])
        else:
            service.widget_key_issue(widget_key=obj, created_by=request.user)

    @admin.action(
        description=gettext_lazy("Revoke the selected upload keys"),
        permissions=["change"],
    )
    def revoke(self, request, queryset):
        for widget_key in queryset.filter(active=True):
            service.widget_key_revoke(widget_key=widget_key)
        self.message_user(request, _("Revoked; their widgets now refuse uploads."))


class ModerationForm(forms.Form):
    """The queue's form: which uploads, approve or reject, where and why."""

    selected = forms.MultipleChoiceField(choices=(), required=True)
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    collection = forms.ModelChoiceField(queryset=None, required=False)
    reason = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, queue, collections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["selected"].choices = [(str(u.pk), str(u.pk)) for u in queue]
        self.fields["collection"].queryset = collections

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("decision") == "reject"
            and not cleaned.get("reason", "").strip()
        ):
            self.add_error("reason", _("Give a reason for the rejection."))
        return cleaned


@admin.register(WidgetUpload)
class ModerationAdmin(admin.ModelAdmin):
    """The moderation queue: one page and the previews of what it lists."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("", wrap(self.queue_view), name=f"{name}_changelist"),
            path(
                "<uuid:upload_id>/preview/",
                wrap(self.preview_view),
                name=f"{name}_preview",
            ),
        ]

    def has_module_permission(self, request):
        return permissions.may(request.user, "add")

    def has_view_permission(self, request, obj=None):
        return permissions.may(request.user, "add")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def queue_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        queue = list(moderation.moderation_queue(request.user)[:200])
        collections = moderation.moderation_collections(request.user)
        form = ModerationForm(
            request.POST or None, queue=queue, collections=collections
        )
        if request.method == "POST" and form.is_valid():
            self._decide(request, form.cleaned_data)
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Uploads awaiting review"),
            "queue": queue,
            "collections": collections,
            "form": form,
        }
        return TemplateResponse(
            request, "admin/transcoder/moderation/queue.html", context
        )

    def _decide(self, request, data):
        done, failed = 0, []
        for upload_id in data["selected"]:
            try:
                if data["decision"] == "approve":
                    moderation.widget_upload_approve(
                        upload_id=upload_id,
                        moderator=request.user,
                        collection=data.get("collection"),
                    )
                else:
                    moderation.widget_upload_reject(
                        upload_id=upload_id,
                        moderator=request.user,
                        reason=data["reason"],
                    )
                done += 1
            except ValidationError as e:
                failed.append(" ".join(e.messages))
        if data["decision"] == "approve":
            text = ngettext(
                "Approved %(count)d upload.", "Approved %(count)d uploads.", done
            )
        else:
            text = ngettext(
                "Rejected %(count)d upload.", "Rejected %(count)d uploads.", done
            )
        self.message_user(request, text % {"count": done})
        for message in dict.fromkeys(failed):
            self.message_user(request, message, messages.ERROR)

    def preview_view(self, request, upload_id):
        """Send a held upload's bytes, to a moderator of it, as the sniffed image."""
        upload = moderation.moderation_queue(request.user).filter(pk=upload_id).first()
        data = moderation.held_bytes(upload) if upload else None
        if data is None:
            raise Http404(_("There is no upload awaiting your review with this id."))
        fmt = sniff.classify(data)
        content_type = service.TYPE_BY_FORMAT.get(fmt)
        if content_type is None:
            raise Http404(_("There is no upload awaiting your review with this id."))
        response = HttpResponse(data, content_type=content_type)
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


def moderation_url():
    """Return the queue's address, for links elsewhere in the admin."""
    return reverse("admin:transcoder_widgetupload_changelist")
