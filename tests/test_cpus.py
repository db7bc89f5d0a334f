"""The CPU quota the engine sizes its thread pool by, read from fake cgroup trees.

Each test writes the files Linux would show (``/proc/self/cgroup``,
``/proc/self/mountinfo`` and the cgroup folders) under a temporary root and
hands that root to ``cpus.available``.
"""

import os

import pytest

from transcoder.imaging import engine
from transcoder.imaging.resize import cpus

V2_MOUNT = "30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
V1_MOUNTS = (
    "32 31 0:29 {root} /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
)


def tree(root, files):
    """Write ``files`` ({relative path: text}) under ``root``; return root."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def v2(root, group, limits):
    """A cgroup v2 host: the process in ``group``, ``limits`` {folder: cpu.max}."""
    files = {"proc/self/cgroup": f"0::{group}\n", "proc/self/mountinfo": V2_MOUNT}
    for folder, limit in limits.items():
        files[f"sys/fs/cgroup{folder}/cpu.max"] = limit
    return tree(root, files)


@pytest.mark.parametrize(
    ("limit", "expected"),
    [("150000 100000\n", 1.5), ("200000 100000\n", 2.0), ("50000 100000", 0.5),
     ("max 100000\n", 4.0)],
)  # fmt: skip
def test_cgroup_v2_cpu_max_is_the_share(tmp_path, limit, expected):
    """cpu.max's quota over its period; "max" leaves the affinity."""
    root = v2(tmp_path, "/app.slice/worker", {"/app.slice/worker": limit})
    assert cpus.available(root, {}, affinity=4) == pytest.approx(expected)


def test_cgroup_v2_an_ancestor_limit_binds_the_child(tmp_path):
    """A parent's tighter cpu.max binds a child that has none of its own."""
    root = v2(
        tmp_path,
        "/kubepods/pod1/box",
        {"/kubepods": "max 100000", "/kubepods/pod1": "120000 100000",
         "/kubepods/pod1/box": "max 100000"},
    )  # fmt: skip
    assert cpus.available(root, {}, affinity=8) == pytest.approx(1.2)


@pytest.mark.parametrize(
    ("quota", "period", "expected"),
    [("200000\n", "100000\n", 2.0), ("-1\n", "100000\n", 4.0),
     ("25000", "50000", 0.5)],
)  # fmt: skip
def test_cgroup_v1_cfs_quota_over_period(tmp_path, quota, period, expected):
    """cfs_quota_us / cfs_period_us; -1 is no limit."""
    folder = "sys/fs/cgroup/cpu,cpuacct/docker/abc"
    root = tree(
        tmp_path,
        {
            "proc/self/cgroup": "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n",
            "proc/self/mountinfo": V1_MOUNTS.format(root="/"),
            f"{folder}/cpu.cfs_quota_us": quota,
            f"{folder}/cpu.cfs_period_us": period,
        },
    )
    assert cpus.available(root, {}, affinity=4) == pytest.approx(expected)


def test_cgroup_v1_a_container_sees_its_own_cgroup_as_the_mount_root(tmp_path):
    """/proc/self/cgroup names the host's path; the mount's root is that path."""
    root = tree(
        tmp_path,
        {
            "proc/self/cgroup": "3:cpu,cpuacct:/docker/abc\n",
            "proc/self/mountinfo": V1_MOUNTS.format(root="/docker/abc"),
            "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "150000",
            "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000",
        },
    )
    assert cpus.available(root, {}, affinity=16) == pytest.approx(1.5)


def test_a_memory_only_v1_hierarchy_is_not_a_cpu_limit(tmp_path):
    """Only the hierarchy carrying the cpu controller is read."""
    root = tree(
        tmp_path,
        {
            "proc/self/cgroup": "4:memory:/box\n",
            "proc/self/mountinfo": V1_MOUNTS.format(root="/"),
            "sys/fs/cgroup/memory/box/cpu.cfs_quota_us": "50000",
            "sys/fs/cgroup/memory/box/cpu.cfs_period_us": "100000",
        },
    )
    assert cpus.available(root, {}, affinity=2) == 2.0


@pytest.mark.parametrize(
    ("memory_mb", "share", "threads"),
    [("2048", 2048 / 1769, 1), ("1769", 1.0, 1), ("3538", 2.0, 2),
     ("10240", 10240 / 1769, 4), ("128", 128 / 1769, 1)],
)  # fmt: skip
def test_lambda_memory_is_the_vcpu_share(tmp_path, memory_mb, share, threads):
    """On Lambda no cgroup shows the share: the memory size gives it."""
    environ = {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": memory_mb}
    available = cpus.available(tmp_path, environ, affinity=6)
    assert available == pytest.approx(share)
    assert cpus.threads(available, most=4) == threads


def test_the_affinity_bounds_a_larger_quota(tmp_path):
    """A quota of four CPUs on a process pinned to one core is one CPU."""
    root = v2(tmp_path, "/", {"": "400000 100000"})
    assert cpus.available(root, {}, affinity=1) == 1.0


def test_no_cgroup_files_leave_the_affinity(tmp_path):
    """Without /proc (another OS, a locked-down sandbox) the affinity stands."""
    assert cpus.available(tmp_path, {}, affinity=3) == 3.0


def test_unreadable_limits_are_ignored(tmp_path):
    """Garbage in cpu.max is no limit, not a crash."""
    root = v2(tmp_path, "/", {"": "lots 0\n"})
    assert cpus.available(root, {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "x"}, 2) == 2.0


@pytest.mark.parametrize(
    ("available", "threads"),
    [(0.3, 1), (1.0, 1), (1.16, 1), (1.5, 1), (1.97, 2), (2.0, 2), (3.5, 3),
     (16.0, 4)],
)  # fmt: skip
def test_threads_only_where_a_whole_cpu_is_free(available, threads):
    """One thread per whole CPU of the share, at least one, at most ``most``."""
    assert cpus.threads(available, most=4) == threads


def test_the_engine_default_follows_this_machine():
    """The engine's default is the quota of the real machine, bounded."""
    expected = cpus.threads(cpus.available(), cpus.MAX_THREADS)
    assert engine.default_threads() == expected
    assert 1 <= expected <= min(cpus.MAX_THREADS, len(os.sched_getaffinity(0)))
