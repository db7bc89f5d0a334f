"""WSGI entry point; Zappa wraps this same application on Lambda."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mediahub.settings")

application = get_wsgi_application()
