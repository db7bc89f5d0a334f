"""How much CPU this process may use: its quota, not the machine's core count.

No Django. ``os.cpu_count()`` counts the host's cores; a container or a
Lambda function may use only a share of them. The share is the smallest of:

- the CPUs the process may run on (``os.sched_getaffinity``);
- the cgroup v2 limit, ``cpu.max`` (``"150000 100000"`` is 1.5 CPUs), in the
  process's cgroup and every ancestor below the mount;
- the cgroup v1 limit, ``cpu.cfs_quota_us / cpu.cfs_period_us`` (-1: none),
  likewise;
- on Lambda, the function's memory over 1,769 MB: AWS gives a function "the
  equivalent of one vCPU" at 1,769 MB and CPU in proportion to memory, which
  Firecracker enforces outside the guest, so no cgroup file shows it (2,048
  MB is about 1.16 vCPU).

``available`` reads them under a ``root`` directory, so tests feed it fake
``proc`` and ``sys`` trees; ``threads`` turns the share into a thread count.
"""

import functools
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

LAMBDA_MB_PER_VCPU = 1769
# Tolerance for quotas set as a fraction of a period that is not quite whole.
_WHOLE = 0.05
# Encodes run in threads (Pillow releases the GIL while resizing and
# encoding); more than this gains nothing and costs memory.
MAX_THREADS = 4


def threads(cpus: float, most: int) -> int:
    """Return how many threads to run: one per whole free CPU, 1 to ``most``.

    A thread beyond the whole CPUs would only compete for the fraction left
    (1.16 vCPU gives one thread): threads go only where a core is free.
    """
    return max(1, min(most, math.floor(cpus + _WHOLE)))


def available(
    root: Path = Path("/"),
    environ: Mapping[str, str] = os.environ,
    affinity: int | None = None,
) -> float:
    """Return the CPUs this process may use, a fraction under a quota.

    ``affinity`` is the number of CPUs the scheduler lets it run on (default:
    ``os.sched_getaffinity``, else ``os.cpu_count``).
    """
    if affinity is None:
        affinity = _affinity()
    limits = [float(affinity)]
    limits += _cgroup_limits(root)
    if lambda_mb := _lambda_memory(environ):
        limits.append(lambda_mb / LAMBDA_MB_PER_VCPU)
    return min(limits)


def _affinity() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _lambda_memory(environ: Mapping[str, str]) -> int | None:
    value = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


def _cgroup_limits(root: Path) -> list[float]:
    """Return every CPU limit set on this process's cgroups, v1 and v2."""
    memberships = _memberships(_read(root / "proc/self/cgroup") or "")
    limits = []
    for version, mount_root, mount_point, options in _mounts(
        _read(root / "proc/self/mountinfo") or ""
    ):
        if version == 2:
            path = memberships.get("")
        elif "cpu" in options:
            path = next(
                (p for names, p in memberships.items() if "cpu" in names.split(",")),
                None,
            )
        else:
            continue
        if path is None:
            continue
        for folder in _folders(root, mount_root, mount_point, path):
            limit = _v2_limit(folder) if version == 2 else _v1_limit(folder)
            if limit is not None:
                limits.append(limit)
    return limits


def _memberships(text: str) -> dict[str, str]:
    """Map each hierarchy's controllers ("" for v2) to this process's cgroup."""
    out = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            out[parts[1]] = parts[2]
    return out


def _mounts(text: str) -> Iterator[tuple[int, str, str, set[str]]]:
    """Yield (version, root, mount point, super options) of each cgroup mount."""
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        if tail[0] == "cgroup2":
            yield 2, fields[3], fields[4], set()
        elif tail[0] == "cgroup":
            yield 1, fields[3], fields[4], set(tail[2].split(","))


def _folders(root: Path, mount_root: str, mount_point: str, path: str) -> list[Path]:
    """Return the process's cgroup folder and its ancestors under the mount.

    A container often sees its own cgroup mounted as the root while
    /proc/self/cgroup names the host's path for it; that path is then
    taken relative to the mount's root.
    """
    mount_root = mount_root.rstrip("/")
    if mount_root and (path == mount_root or path.startswith(mount_root + "/")):
        path = path[len(mount_root) :]
    parts = [p for p in path.split("/") if p and p != ".."]
    base = root / mount_point.lstrip("/")
    return [base.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]


def _v2_limit(folder: Path) -> float | None:
    text = _read(folder / "cpu.max")
    if not text:
        return None
    quota, _, period = text.strip().partition(" ")
    try:
        if quota == "max":
            return None
        return int(quota) / int(period or "100000")
    except (ValueError, ZeroDivisionError):
        return None


def _v1_limit(folder: Path) -> float | None:
    quota, period = (
        _read(folder / "cpu.cfs_quota_us"),
        _read(folder / "cpu.cfs_period_us"),
    )
    try:
        if quota is None or period is None or int(quota) <= 0:
            return None
        return int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None


@functools.cache
def default_threads() -> int:
    """Return how many encodes run at once: one per whole CPU of the quota.

    The quota, not the core count (see ``cpus``): on Lambda at 2,048 MB,
    about 1.16 vCPU, one thread; at most ``MAX_THREADS``. Read once a
    process: every encode asks, and the quota's files do not change under it.
    """
    return threads(available(), MAX_THREADS)
