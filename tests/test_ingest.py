"""`manage.py ingest`: bulk import from disk, in text and JSON modes."""

import json
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image, ImageChops, ImageStat

from tests.conftest import ORIENTATION_PHOTOS
from tests.images import make_image
from tests.support import run_ingest
from transcoder.models import Asset

pytestmark = pytest.mark.django_db


def test_ingest_ok_prints_one_line_per_file(tmp_path, presets):
    """Text mode prints a line per file and exits 0 when all were ingested."""
    for i in range(2):
        (tmp_path / f"{i}.png").write_bytes(make_image("PNG", size=(120 + i, 80)))
    code, out, err = run_ingest(str(tmp_path / "0.png"), str(tmp_path / "1.png"))
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 2 and all(": ok " in line for line in lines)
    assert Asset.objects.count() == 2


def test_ingest_json_mixed_reports_each_file_and_exits_1(
    tmp_path, presets, stored_files, client
):
    """JSON mode reports ok and refused files; a refusal stores nothing and exits 1."""
    good = tmp_path / "good.jpg"
    good.write_bytes(make_image("JPEG", size=(400, 300)))
    bad = tmp_path / "drawing.png"
    bad.write_text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>')
    code, out, _ = run_ingest("--json", str(good), str(bad))
    assert code == 1
    results = json.loads(out)
    assert [r["status"] for r in results] == ["ok", "rejected"]
    ok, rejected = results
    assert ok["error"] is None and ok["asset"]
    assert {r["preset"] for r in ok["renditions"]} == {"thumb", "card"}
    for r in ok["renditions"]:
        assert set(r) == {"preset", "format", "width", "height", "bytes", "name", "url"}
        response = client.get(r["url"])
        assert response.status_code == 200
        assert len(b"".join(response.streaming_content)) == r["bytes"]
    assert rejected["asset"] is None and rejected["renditions"] == []
    assert "SVG" in rejected["error"]
    assert Asset.objects.count() == 1
    assert all(ok["asset"] in f for f in stored_files())


def test_ingest_preset_option_limits_the_renditions(tmp_path, presets):
    """--preset builds only the named presets."""
    path = tmp_path / "a.png"
    path.write_bytes(make_image("PNG", size=(200, 200)))
    code, out, _ = run_ingest("--json", "--preset", "card", str(path))
    assert code == 0
    assert {r["preset"] for r in json.loads(out)[0]["renditions"]} == {"card"}


def test_ingest_unknown_preset_is_an_error(tmp_path, presets):
    """An unknown preset slug stops the command with a clear message."""
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Unknown preset: nope"):
        call_command("ingest", "--preset", "nope", str(tmp_path))


def test_ingest_missing_file_is_refused(tmp_path, presets):
    """A path that is not a file is refused, not a traceback."""
    code, out, _ = run_ingest("--json", str(tmp_path / "missing.jpg"))
    assert code == 1
    assert "no file" in json.loads(out)[0]["error"]


def test_ingest_orientation_photos_come_out_upright_and_matching(
    presets, media_root, settings
):
    """The nine EXIF-orientation photos give matching, upright renditions."""
    assert len(ORIENTATION_PHOTOS) == 9
    code, out, err = run_ingest(
        "--json", "--preset", "card", *map(str, ORIENTATION_PHOTOS)
    )
    assert code == 0, err
    results = json.loads(out)
    images = {}
    for result in results:
        (rendition,) = result["renditions"]
        assert (rendition["width"], rendition["height"]) == (300, 200)
        images[Path(result["file"]).name] = Image.open(
            media_root / rendition["name"]
        ).convert("RGB")
    reference = images["Landscape_1.jpg"]
    for name, image in images.items():
        diff = ImageStat.Stat(ImageChops.difference(image, reference)).mean
        assert sum(diff) / 3 < 10, (name, diff)


def test_ingest_runs_as_a_command_without_traceback(tmp_path):
    """The real command line exits 1 with JSON and no traceback for a refused file."""
    bad = tmp_path / "empty.jpg"
    bad.write_bytes(b"")
    env = {"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"}
    env["MEDIAHUB_VAR_DIR"] = str(tmp_path / "var")
    (tmp_path / "var").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        env=env,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    proc = subprocess.run(
        [sys.executable, "manage.py", "ingest", "--json", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    (result,) = json.loads(proc.stdout)
    assert result["status"] == "rejected" and "empty" in result["error"]


# The child processes read the presets and write the assets over their own
# connections: the rows must really be committed.
@pytest.mark.django_db(transaction=True)
def test_ingest_jobs_builds_every_file_with_several_processes(
    tmp_path, presets, media_root
):
    """--jobs 3 imports each file once, in child processes, with all renditions.

    This process runs a thread meanwhile, and the children are not forked
    from it (Python warns that such a fork may deadlock; here that is an
    error). They run with its settings: its test database and media root.
    """
    paths = []
    for i in range(4):
        path = tmp_path / f"{i}.png"
        path.write_bytes(make_image("PNG", size=(200 + i, 150)))
        paths.append(str(path))
    (tmp_path / "bad.jpg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "error", "This process .* is multi-threaded", DeprecationWarning
            )
            code, out, _ = run_ingest(
                "--json", "--jobs", "3", *paths, str(tmp_path / "bad.jpg")
            )
    finally:
        stop.set()
        thread.join()
    results = json.loads(out)
    assert code == 1
    assert [r["file"] for r in results] == [*paths, str(tmp_path / "bad.jpg")]
    assert [r["status"] for r in results] == ["ok"] * 4 + ["rejected"]
    assert Asset.objects.count() == 4
    for asset in Asset.objects.all():
        assert set(asset.renditions.values_list("status", flat=True)) == {"ready"}
        assert asset.renditions.count() == 3
        for rendition in asset.renditions.all():
            assert (media_root / rendition.name).is_file()


def test_ingest_jobs_must_be_at_least_one(tmp_path):
    """--jobs 0 is refused before anything is imported."""
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("ingest", "--jobs", "0", str(tmp_path))


def test_assets_from_ingest_preset_are_not_all_ready(admin_client, tmp_path, presets):
    """With --preset, other active presets are missing: the list says not ready."""
    path = tmp_path / "a.png"
    path.write_bytes(make_image("PNG", size=(200, 200)))
    run_ingest("--preset", "card", str(path))
    ready = admin_client.get("/admin/transcoder/asset/?renditions=ready")
    pending = admin_client.get("/admin/transcoder/asset/?renditions=pending")
    assert ready.context["cl"].result_count == 0
    assert pending.context["cl"].result_count == 1
