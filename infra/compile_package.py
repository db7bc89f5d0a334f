"""Add bytecode to a Lambda zip built by `make package`, so cold starts skip compiling.

Usage: python infra/compile_package.py dist/mediahub-dev.zip

Lambda unpacks the zip read-only, so Python can write no ``__pycache__`` and
compiles every module it imports, on every cold start. Zappa also gives every
file a 1980 timestamp, which a usual (timestamp-checked) ``.pyc`` would not
match. This writes, for each ``.py`` in the zip, an *unchecked-hash* ``.pyc``
(PEP 552) at the path the importer looks for: it is used as is, whatever the
file times. It is made from the zip's own source, so it always matches what
ships. Run it with the Python of the Lambda runtime (the same minor version:
the ``.pyc`` names carry it, and another version just ignores them).
"""

import importlib.util
import os
import sys
import tempfile
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc


def pyc_name(name):
    """Return the zip path of the cached bytecode for source ``name``."""
    return importlib.util.cache_from_source(name)


def compile_source(name, source):
    """Return the unchecked-hash ``.pyc`` bytes for ``source``, or None."""
    try:
        code = compile(source, name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None  # Some packages ship templates or Python 2 files as .py.
    return bytes(
        _code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False)
    )


def main(path):
    """Rewrite the zip at ``path`` with a ``.pyc`` beside each module's source."""
    added = skipped = 0
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".zip", delete=False) as f:
        temporary = f.name
    try:
        with (
            zipfile.ZipFile(path) as source_zip,
            zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as out,
        ):
            names = set(source_zip.namelist())
            for info in source_zip.infolist():
                if info.filename.endswith(".pyc"):
                    continue  # Only bytecode made here, from the shipped source.
                data = source_zip.read(info)
                out.writestr(info, data, zipfile.ZIP_DEFLATED)
                if not info.filename.endswith(".py"):
                    continue
                cached = pyc_name(info.filename)
                pyc = compile_source(info.filename, data)
                if pyc is None or cached in names:
                    skipped += 1
                    continue
                entry = zipfile.ZipInfo(cached, date_time=info.date_time)
                entry.create_system = info.create_system
                entry.external_attr = info.external_attr
                out.writestr(entry, pyc, zipfile.ZIP_DEFLATED)
                added += 1
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    print(f"{path}: added {added} unchecked-hash .pyc files ({skipped} skipped)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2])
    sys.exit(main(sys.argv[1]))
