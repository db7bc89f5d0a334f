"""HEIC/HEIF decoding, loaded the first time a HEIF file turns up.

Importing pillow-heif and registering its opener costs a few hundred
milliseconds, which every cold start paid although few uploads are HEIF.
``SUPPORTED`` only asks whether the package is installed; ``register()``
imports it and registers the opener with Pillow, once. No Django here: the
engine uses this module.
"""

import importlib.util
import threading

SUPPORTED = importlib.util.find_spec("pillow_heif") is not None

_lock = threading.Lock()
_registered = False


def register():
    """Register pillow-heif's opener with Pillow (once); return whether it could."""
    global _registered
    if _registered or not SUPPORTED:
        return _registered
    with _lock:
        if not _registered:
            import pillow_heif

            pillow_heif.register_heif_opener()
            _registered = True
    return _registered
