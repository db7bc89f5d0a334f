"""The layers: no import circle in transcoder, and a pipeline free of Django.

The graph is read from the source (every ``import``, at module level or
inside a function), so a circle broken only by a function-level import still
counts. A package's ``__init__`` re-exporting its own modules is no circle;
importing a package from outside it imports what it re-exports.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "transcoder"
# The pure image pipeline: bytes in, bytes and facts out, no Django.
PIPELINE = [
    "analysis.focal",
    "analysis.perceptual",
    "analysis.placeholder",
    "analysis.saliency",
    "decode.colour",
    "decode.heif",
    "decode.metadata",
    "decode.opening",
    "decode.png",
    "decode.sniff",
    "decode.webp",
    "dedupe",
    "edits",
    "encoding.animation",
    "encoding.animation_encoders",
    "encoding.avif",
    "encoding.encode",
    "encoding.webp",
    "engine",
    "limits",
    "messages",
    "quality.autoquality",
    "quality.planes",
    "quality.ssimulacra",
    "resize.cascade",
    "resize.cpus",
    "resize.libvips",
    "resize.memory",
    "specs",
]


def _modules():
    found = {}
    for path in (ROOT / PACKAGE).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(module, path):
    """Yield the dotted names ``module`` imports (with each from-import's names)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph():
    """Return {module: set of transcoder modules it imports}."""
    modules = _modules()

    def resolve(name):
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges, reexports = {}, {}
    for module, path in modules.items():
        targets = {resolve(n) for n in _imported(module, path) if n.startswith(PACKAGE)}
        targets.discard(None)
        targets.discard(module)
        own = {t for t in targets if t.startswith(module + ".")}
        reexports[module] = own
        edges[module] = targets - own
    for module, targets in edges.items():
        for target in list(targets):
            if not module.startswith(target + "."):
                targets |= reexports.get(target, set())
    return edges


def circles(edges):
    """Return the strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_transcoder_has_no_import_circle():
    """No module of transcoder imports, however indirectly, one that imports it."""
    assert circles(import_graph()) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ],
)
def test_the_circle_finder_finds_circles(edges, expected):
    """The check itself can fail: a circle of two or three modules is found."""
    assert circles(edges) == expected


def test_the_graph_sees_a_function_level_import(tmp_path, monkeypatch):
    """A circle closed only inside a function still counts."""
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from transcoder import b\n")
    (package / "b.py").write_text("def f():\n    from transcoder.a import x\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert circles(import_graph()) == [["transcoder.a", "transcoder.b"]]


def test_the_pipeline_package_lists_its_modules():
    """PIPELINE names every module of transcoder/imaging, so each is checked."""
    imaging = ROOT / PACKAGE / "imaging"
    found = sorted(
        ".".join(path.relative_to(imaging).with_suffix("").parts)
        for path in imaging.rglob("*.py")
        if path.stem != "__init__"
    )
    assert found == sorted(PIPELINE)


def test_the_pipeline_imports_no_django():
    """transcoder.imaging and its modules load in a fresh interpreter, no Django."""
    names = ["transcoder.imaging"] + [f"transcoder.imaging.{m}" for m in PIPELINE]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'django')\n"
        "print(loaded)\n"
    )
    # transcoder/__init__.py must not pull Django in either.
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"{names} import Django: {result.stdout}"
