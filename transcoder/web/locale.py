"""The editor's language, for the admin only.

Django's LocaleMiddleware picks the language from the switcher's cookie, else
the browser's Accept-Language, and marks every response ``Vary:
Accept-Language``. Embed links, served files and the API answer every reader
alike: a Vary there would split a CDN's cache by language for nothing, and the
API's messages are for developers, in English. So only the admin and the
switcher's own URL take the reader's language; the rest runs in LANGUAGE_CODE.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

# The admin (mediahub.urls) and Django's set_language view.
EDITOR_PREFIXES = ("/admin/", "/i18n/")


class EditorLocaleMiddleware(LocaleMiddleware):
    """LocaleMiddleware on the editors' paths; the default language elsewhere."""

    def process_request(self, request):
        if request.path_info.startswith(EDITOR_PREFIXES):
            return super().process_request(request)
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request, response):
        if request.path_info.startswith(EDITOR_PREFIXES):
            response = super().process_response(request, response)
            # The page is rendered: the thread goes back to the default, so work
            # it runs next outside a request (a task, an S3 event on a warm
            # Lambda) is not worded in the last editor's language.
            translation.deactivate()
        return response
