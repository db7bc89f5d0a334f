"""The presets a new library starts with; migration 0002 seeds them once."""

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
