"""Make sure an admin account exists, and that the library has presets."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from transcoder import services
from transcoder.models import Preset
from transcoder.starter_presets import STARTER_PRESETS


class Command(BaseCommand):
    help = (
        "Create an admin if there is none, and restore the starter presets if "
        "there are none (migrate seeds them on a fresh database)."
    )

    def handle(self, **options):
        if not Preset.objects.exists():
            for fields in STARTER_PRESETS:
                services.preset_save(preset=Preset(**fields))
            self.stdout.write(f"Created {len(STARTER_PRESETS)} starter presets.")
        self.ensure_admin()

    def ensure_admin(self):
        User = get_user_model()
        existing = User.objects.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            name = existing.get_username()
            self.stdout.write(
                f"An admin account already exists ({name!r}). Forgot its "
                f"password? Run: python manage.py changepassword {name}"
            )
            return
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME") or "admin"
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        if generated:
            self.stdout.write(
                self.style.WARNING(
                    f"Created the admin account {username!r} with the password "
                    f"{password!r}. It is shown only this once."
                )
            )
        else:
            self.stdout.write(f"Created the admin account {username!r}.")
