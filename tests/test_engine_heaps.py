"""The engine's threads share two glibc heaps (see ``memory.share_heaps``)."""

import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A fresh process renders an RGBA PNG on 2 threads (libvips' and the encode
# pool's), then glibc prints one "Arena N:" block per heap to stderr.
RENDER = """
import ctypes, sys
from tests import images
from tests.support import LIMITS
from transcoder.imaging import engine
from transcoder.imaging.resize import memory
from transcoder.imaging.specs import Fit, RenditionSpec

if sys.argv[1] == "unshared":
    memory.share_heaps = lambda: None
image = images.noisy((1200, 800)).convert("RGBA")
data = images.encode(image, "PNG")
specs = [RenditionSpec(Fit.CONTAIN, w, None, f) for w in (800, 400, 200)
         for f in ("webp", "jpeg")]
engine.render(data, specs, LIMITS, threads=2)
ctypes.CDLL(None).malloc_stats()
"""


def heaps(mode: str) -> int:
    """Return how many glibc heaps a fresh process's render left."""
    done = subprocess.run(
        [sys.executable, "-c", RENDER, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


@pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="glibc's heaps are what is shared"
)
def test_render_threads_share_two_heaps():
    assert heaps("unshared") > 2  # the threads would have their own
    assert heaps("shared") == 2
