"""The admin app, configured to use mediahub's admin site."""

from django.contrib.admin.apps import AdminConfig


class MediahubAdminConfig(AdminConfig):
    default_site = "mediahub.admin.MediahubAdminSite"
