"""imaging.decode.heif: pillow-heif is imported on the first HEIF file, not at start."""

import subprocess
import sys
from pathlib import Path

from PIL import Image


def test_importing_the_app_modules_leaves_pillow_heif_unloaded():
    """A fresh interpreter importing the engine has not loaded pillow_heif."""
    code = (
        "import sys, transcoder.imaging.engine, "
        "transcoder.imaging.analysis.perceptual, "
        "transcoder.imaging.decode.heif as h; "
        "print(h.SUPPORTED, 'pillow_heif' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "False"]


def test_register_lets_pillow_open_heif_once():
    """register() adds the HEIF opener to Pillow and is safe to call again."""
    from transcoder.imaging.decode import heif

    assert heif.register() is True
    assert heif.register() is True
    assert "HEIF" in Image.OPEN


def test_the_first_heif_file_registers_the_opener():
    """A fresh interpreter decodes a HEIC photo: sniffing it loads pillow-heif."""
    photo = Path(__file__).parent / "files" / "iphone-style-orientation-6.heic"
    code = (
        "import sys; from pathlib import Path; from transcoder.imaging import engine; "
        f"data = Path({str(photo)!r}).read_bytes(); "
        "before = 'pillow_heif' in sys.modules; "
        "info = engine.inspect(data, engine.Limits(max_bytes=10**8, "
        "max_pixels=10**8)); "
        "print(before, 'pillow_heif' in sys.modules, info.format)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True", "heif"]
