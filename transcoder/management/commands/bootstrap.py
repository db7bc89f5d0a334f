"""Seed a useful starting set of presets and make sure an admin account exists."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from transcoder import services
from transcoder.models import Preset

STARTER_PRESETS = [
    {
        "slug": "thumbnail",
        "name": "Square thumbnail",
        "fit": "cover",
        "width": 200,
        "height": 200,
        "formats": ["webp", "jpeg"],
        "quality": 80,
    },
    {
        "slug": "card",
        "name": "Card image",
        "fit": "cover",
        "width": 600,
        "height": 400,
        "formats": ["webp", "jpeg"],
        "quality": 80,
    },
    {
        "slug": "hero",
        "name": "Responsive hero",
        "fit": "cover",
        "width": 1920,
        "height": 800,
        "widths": [640, 1024, 1440, 1920],
        "formats": ["avif", "webp", "jpeg"],
        "quality": 75,
    },
    {
        # The whole frame, uncropped: sites' lightboxes, and the admin's
        # focal-point picker, which must show what a crop can choose from.
        "slug": "large",
        "name": "Large (fits 1600×1600)",
        "fit": "contain",
        "width": 1600,
        "height": 1600,
        "formats": ["webp", "jpeg"],
        "quality": 82,
    },
    {
        "slug": "social",
        "name": "Social share (1200×630)",
        "fit": "cover",
        "width": 1200,
        "height": 630,
        "formats": ["jpeg"],
        "quality": 85,
    },
]


class Command(BaseCommand):
    help = (
        "Seed the starter presets (if there are none) and an admin (if there is none)."
    )

    def handle(self, **options):
        if not Preset.objects.exists():
            for fields in STARTER_PRESETS:
                services.preset_save(preset=Preset(**fields))
            self.stdout.write(f"Created {len(STARTER_PRESETS)} starter presets.")
        self.ensure_admin()

    def ensure_admin(self):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
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
