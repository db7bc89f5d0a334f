"""transcoder.heif: pillow-heif is imported on the first HEIF file, not at start."""

import subprocess
import sys

from PIL import Image


def test_importing_the_app_modules_leaves_pillow_heif_unloaded():
    """A fresh interpreter importing transcoder.heif has not loaded pillow_heif."""
    code = (
        "import sys, transcoder.heif as h; "
        "print(h.SUPPORTED, 'pillow_heif' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "False"]


def test_register_lets_pillow_open_heif_once():
    """register() adds the HEIF opener to Pillow and is safe to call again."""
    from transcoder import heif

    assert heif.register() is True
    assert heif.register() is True
    assert "HEIF" in Image.OPEN
