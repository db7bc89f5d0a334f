"""Check a Lambda zip built by `make package`: sizes and binary wheel platforms.

Usage: python infra/check_package.py dist/mediahub-dev.zip

Prints the zip size and the unpacked size, and exits 1 if either passes
Lambda's limits for a directly uploaded package, or if a compiled wheel in it
needs a newer glibc than Lambda's python3.12 runtime (Amazon Linux 2023) has
or was built for another machine.
"""

import os
import re
import sys
import zipfile

MIB = 1024 * 1024
ZIP_LIMIT = 50 * MIB
UNPACKED_LIMIT = 200 * MIB
LAMBDA_GLIBC = (2, 34)
LAMBDA_ARCH = "x86_64"
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12)}
LEGACY_MANYLINUX["manylinux2014"] = (2, 17)
PLATFORM = re.compile(r"^(manylinux_(\d+)_(\d+)|manylinux\d+|[a-z]+linux\w*)_(\w+)$")


def platform_fits(platform):
    """Tell whether a wheel platform tag runs on Lambda's runtime."""
    if platform == "any":
        return True
    match = PLATFORM.match(platform)
    if not match or match.group(4) != LAMBDA_ARCH:
        return False
    if match.group(2):
        return (int(match.group(2)), int(match.group(3))) <= LAMBDA_GLIBC
    return LEGACY_MANYLINUX.get(match.group(1), (99, 0)) <= LAMBDA_GLIBC


def unfit_wheels(archive):
    """Return (dist-info, tags) for each wheel with no tag that runs on Lambda."""
    unfit = []
    for name in archive.namelist():
        if not name.endswith(".dist-info/WHEEL") or name.count("/") != 1:
            continue
        lines = archive.read(name).decode().splitlines()
        tags = [
            line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")
        ]
        platforms = {tag.rsplit("-", 1)[-1] for tag in tags}
        if platforms and not any(platform_fits(p) for p in platforms):
            unfit.append((name.split("/")[0], sorted(platforms)))
    return unfit


def main(path):
    """Print the sizes of the zip at ``path`` and return the exit status."""
    with zipfile.ZipFile(path) as archive:
        zipped = os.path.getsize(path)
        unpacked = sum(info.file_size for info in archive.infolist())
        unfit = unfit_wheels(archive)
    print(f"{path}: zip {zipped / MIB:.1f} MiB ({zipped} bytes), limit 50 MiB")
    print(
        f"{path}: unpacked {unpacked / MIB:.1f} MiB ({unpacked} bytes), limit 200 MiB"
    )
    status = 0
    if zipped > ZIP_LIMIT or unpacked > UNPACKED_LIMIT:
        print("Too large for a direct upload to Lambda.", file=sys.stderr)
        status = 1
    for dist, platforms in unfit:
        print(
            f"{dist} will not load on Lambda: {', '.join(platforms)}", file=sys.stderr
        )
        status = 1
    return status


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2])
    sys.exit(main(sys.argv[1]))
