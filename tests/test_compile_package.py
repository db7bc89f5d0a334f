"""infra/compile_package.py: unchecked-hash bytecode for every module in a zip."""

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), text)


def test_every_module_gets_an_unchecked_pyc_that_python_uses(tmp_path):
    """Each .py gets a PEP 552 unchecked pyc; an unpacked copy imports from it."""
    package = tmp_path / "p.zip"
    _zip(
        package,
        {
            "pkg/__init__.py": "",
            "pkg/mod.py": "VALUE = 42\n",
            "pkg/broken.py": "def (:\n",  # Not Python: kept, not compiled.
            "stale/__pycache__/x.cpython-312.pyc": "junk",
        },
    )
    run = subprocess.run(
        [sys.executable, str(ROOT / "infra" / "compile_package.py"), str(package)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "added 2 unchecked-hash .pyc files (1 skipped)" in run.stdout
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        pyc = archive.read(importlib.util.cache_from_source("pkg/mod.py"))
        archive.extractall(tmp_path / "task")
    assert "stale/__pycache__/x.cpython-312.pyc" not in names
    assert "pkg/broken.py" in names
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, unchecked
    # The source changes but the pyc is used as is: it was not checked.
    (tmp_path / "task" / "pkg" / "mod.py").write_text("VALUE = 0\n")
    out = subprocess.run(
        [sys.executable, "-c", "import pkg.mod; print(pkg.mod.VALUE)"],
        cwd=tmp_path / "task",
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "42"
