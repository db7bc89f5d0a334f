"""The README and the guides in docs/ name only what exists."""

import re
from pathlib import Path

from django.core.management import get_commands

from transcoder.conf import DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted([README, *(ROOT / "docs").glob("*.md")])
OPERATIONS = ROOT / "docs" / "operations.md"
README_MAX_LINES = 250

# Where a setting the guides name must be read.
CODE = [
    *(ROOT / "mediahub").rglob("*.py"),
    *(ROOT / "transcoder").rglob("*.py"),
    *(ROOT / "infra").rglob("*.py"),
    ROOT / "infra" / "template.yaml",
    ROOT / "zappa_settings.json",
]
# The benchmarks' and the packaged-zip test's own knobs are read there.
TOOLS = [
    *(ROOT / "bench").rglob("*.py"),
    ROOT / "Makefile",
    ROOT / "tests" / "conftest.py",
    ROOT / "tests" / "test_package.py",
]
# Named in the guides but read by a library, not by mediahub's code.
READ_BY_LIBRARIES = {
    "AWS_ACCESS_KEY_ID": "boto3's credential chain",
    "AWS_SECRET_ACCESS_KEY": "boto3's credential chain",
    "AWS_DEFAULT_REGION": "boto3",
    "AWS_ENDPOINT_URL": "boto3",
    "DJANGO_ALLOW_ASYNC_UNSAFE": "Django",
}
SETTING = re.compile(
    r"\b(?:(?:MEDIAHUB|DJANGO|AXES|AWS)_[A-Z0-9_]*[A-Z0-9]|CORS_ALLOWED_ORIGINS)\b"
)
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
INLINE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def code_of(text):
    """The text of a guide's fenced blocks and inline code spans."""
    fences = FENCE.findall(text)
    return "\n".join([*fences, *INLINE.findall(FENCE.sub("", text))])


def named(pattern):
    """(guide, name) for every match of pattern in the guides' code."""
    found = set()
    for doc in DOCS:
        for match in re.finditer(pattern, code_of(doc.read_text())):
            found.add((doc.relative_to(ROOT).as_posix(), match.group(1)))
    return sorted(found)


def makefile_targets():
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.M))


def test_guides_are_found():
    """The checks below read the README and every guide, operations.md included."""
    names = {doc.name for doc in DOCS}
    assert {"README.md", "operations.md", "editors.md", "security.md"} <= names


def test_every_make_target_named_exists():
    """Each `make <target>` in the README and the guides is a Makefile target."""
    uses = named(r"\bmake ([a-z][\w-]*)")
    assert uses, "no `make` target found in the guides"
    targets = makefile_targets()
    missing = [f"{doc}: make {target}" for doc, target in uses if target not in targets]
    assert not missing, f"not a Makefile target: {missing}"


def test_every_management_command_named_exists():
    """Each `manage.py <command>` and `zappa manage <stage> <command>` is a command."""
    uses = named(r"\bmanage\.py ([a-z]\w*)")
    uses += named(r"\bzappa manage [\w<>-]+ \"?([a-z]\w*)")
    assert len({command for _, command in uses}) >= 5, uses
    commands = get_commands()
    missing = [f"{doc}: {command}" for doc, command in uses if command not in commands]
    assert not missing, f"no such management command: {missing}"


def test_every_setting_named_is_read():
    """Each MEDIAHUB_, DJANGO_, AXES_, AWS_ name and CORS_ALLOWED_ORIGINS is read."""
    code = "\n".join(path.read_text() for path in CODE)
    tools = "\n".join(path.read_text() for path in TOOLS)
    # conf.setting(NAME) reads MEDIAHUB_NAME; settings.py reads numeric ones in a loop.
    through_conf = {f"MEDIAHUB_{name}" for name in DEFAULTS}
    missing = []
    for doc in DOCS:
        for name in sorted(set(SETTING.findall(doc.read_text()))):
            word = re.compile(rf"\b{name}\b")
            if name in through_conf or name in READ_BY_LIBRARIES:
                continue
            if not (word.search(code) or word.search(tools)):
                missing.append(f"{doc.relative_to(ROOT)}: {name}")
    assert not missing, f"named in a guide but read nowhere: {missing}"


def settings_the_code_reads():
    """MEDIAHUB_ names in conf.DEFAULTS and those settings.py reads from os.environ."""
    source = (ROOT / "mediahub" / "settings.py").read_text()
    reads = r"(?:environ(?:\.get)?[\[(]|env_\w+\()\s*\"(MEDIAHUB_\w+)\""
    env_reads = re.findall(reads, source)
    return {f"MEDIAHUB_{name}" for name in DEFAULTS} | set(env_reads)


def test_code_reads_what_the_table_lists():
    """The search for settings the code reads finds today's names, so the next test
    can fail."""
    found = settings_the_code_reads()
    assert {"MEDIAHUB_URL_TTL", "MEDIAHUB_SQLITE_TIMEOUT", "MEDIAHUB_HTTPS"} <= found


def test_every_setting_read_is_in_the_operations_table():
    """Every MEDIAHUB_ setting the code reads has a row in operations.md's table."""
    rows = set(re.findall(r"^\| `(\w+)` \|", OPERATIONS.read_text(), re.M))
    missing = sorted(settings_the_code_reads() - rows)
    assert not missing, f"read by the code, not in the settings table: {missing}"


def links():
    for doc in DOCS:
        for target in LINK.findall(FENCE.sub("", doc.read_text())):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            yield doc, target


def test_every_relative_link_points_to_a_file():
    """Each relative link and image in the README and the guides resolves to a file."""
    found = list(links())
    assert len(found) >= 10, found
    broken = [
        f"{doc.relative_to(ROOT)}: {target}"
        for doc, target in found
        if not (doc.parent / target.split("#")[0]).exists()
    ]
    assert not broken, f"links to nothing: {broken}"


def test_readme_is_short():
    """The README stays under 250 lines; the rest belongs in a guide."""
    lines = README.read_text().count("\n")
    assert lines < README_MAX_LINES, f"README.md has {lines} lines"
