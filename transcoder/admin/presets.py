"""The preset admin: the form, the change preview and saves through services."""

from functools import partial

from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from transcoder import selectors, services
from transcoder.admin.images import library
from transcoder.admin.shell import html, views
from transcoder.admin.shell.forms import PresetForm
from transcoder.models import Preset, Rendition


@admin.register(Preset)
class PresetAdmin(admin.ModelAdmin):
    form = PresetForm
    list_display = [
        "name",
        "slug",
        "fit_short",
        "box",
        "formats_list",
        "quality_short",
        "active",
    ]
    list_filter = ["active", "fit"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "active"]}),
        (_("Size"), {"fields": ["fit", ("width", "height"), "widths"]}),
        (_("Output"), {"fields": ["formats", "target", "quality", "background"]}),
    ]

    @admin.display(description=_("Fit"), ordering="fit")
    def fit_short(self, obj):
        return obj.get_fit_display().split(":")[0]

    @admin.display(description=_("Quality"), ordering="target")
    def quality_short(self, obj):
        return html.preset_quality(obj)

    @admin.display(description=_("Size"))
    def box(self, obj):
        return html.preset_size(obj)

    @admin.display(description=_("Formats"))
    def formats_list(self, obj):
        return html.preset_formats(obj)

    class Media:
        js = ["transcoder/status.js"]

    def delete_view(self, request, object_id, extra_context=None):
        preset = self.get_object(request, object_id)
        if preset is not None:
            extra_context = {
                **(extra_context or {}),
                **library.preset_delete_context(
                    preset=preset, visible=selectors.view_reach(request.user)
                ),
            }
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        # Django's own summary lists every rendition of the preset in the
        # library: a count of collections this user may not see, and a page
        # as long as the library. The renditions are counted within reach.
        renditions = Rendition.objects.filter(preset__in=objs)
        visible = selectors.view_reach(request.user)
        if visible is not None:
            renditions = renditions.filter(asset__in=visible.values("pk"))
        presets = [
            format_html(
                '{}: <a href="{}">{}</a>',
                capfirst(Preset._meta.verbose_name),
                reverse("admin:transcoder_preset_change", args=[obj.pk]),
                obj,
            )
            for obj in objs
        ]
        counts = {
            Preset._meta.verbose_name_plural: len(presets),
            Rendition._meta.verbose_name_plural: renditions.count(),
        }
        return presets, counts, set(), []

    def get_urls(self):
        wrap = self.admin_site.admin_view
        view = partial(views.preset_preview_view, model_admin=self)
        return [
            path("preview/", wrap(view), name="transcoder_preset_preview"),
            path(
                "<int:object_id>/preview/",
                wrap(view),
                name="transcoder_preset_preview_change",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change):
        services.preset_save(preset=obj, user=request.user)
        if obj.rebuild is not None:
            # A rebuild of every asset is told in the editor's reach.
            progress = services.job_progress(
                job=obj.rebuild, visible=selectors.view_reach(request.user)
            )
            self.message_user(request, html.rebuild_message(progress), messages.INFO)
