"""Every benchmark module imports: ``make bench`` runs them only outside the
suite, so a renamed helper would otherwise surface only there."""

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
# Settings modules read the environment when imported, as Django would.
SETTINGS = {"scale_settings"}


def _modules():
    for path in sorted(BENCH.rglob("*.py")):
        parts = path.relative_to(BENCH.parent).with_suffix("").parts
        if parts[-1] == "__init__" or parts[-1] in SETTINGS:
            continue
        yield ".".join(parts)


@pytest.mark.parametrize("name", list(_modules()))
def test_the_benchmark_module_imports(name):
    module = importlib.import_module(name)
    assert module.__name__ == name
