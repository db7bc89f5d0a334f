"""Time the admin, the API and the embed link at 1,000 and at 100,000 assets.

Run with ``make bench-scale`` (or ``python -m bench.bench_scale --sizes 1000,100000``).
It needs PostgreSQL: ``BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/mediahub_scale``) is a prefix, and each
size gets its own database ``<name>_<size>``, dropped and made again. Each is
seeded with synthetic assets and the rendition rows of the starter presets (no
image files: nothing here renders). Then every request is timed in one process
with Django's test client, the sizes taking turns request by request, so a
machine that speeds up or slows down moves both sides of a ratio alike.

It prints p50 per request at each size, the ratio of the largest size to the
smallest, and the query count at each size: the counts must not grow with the
library, and the ratio should stay within 1.5.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from urllib.parse import urlsplit

from bench import django_setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mediahub_scale"
# Some failed and pending renditions: enough that every filter fills a page of
# 50 even at 1,000 assets, so both sizes time the same amount of rendering.
FAILED_EVERY = 13
PENDING_EVERY = 11
WORDS = ["harbour", "sunset", "portrait", "market", "forest", "skyline", "studio"]


def configure(database_url):
    """Set up Django for throwaway local storage; databases come per size."""
    django_setup.configure(
        DJANGO_SETTINGS_MODULE="bench.scale_settings",
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        MEDIAHUB_STORAGE="local",
    )


def use_database(name):
    """Point the default connection at database ``name`` (it reconnects lazily)."""
    from django.db import connection

    if connection.settings_dict["NAME"] != name:
        connection.close()
        connection.settings_dict["NAME"] = name


def prepare(database_url, size, reuse=False):
    """Make a fresh database for ``size`` assets, migrate and seed it.

    With ``reuse``, a database left by an earlier run with ``size`` assets is
    migrated and kept as it is.
    """
    from django.core.management import call_command

    name = f"{urlsplit(database_url).path.lstrip('/')}_{size}"
    if reuse and _seeded(name, size):
        call_command("migrate", verbosity=0, interactive=False)
        print(f"reusing {name}", flush=True)
        return name
    recreate_database(database_url, name)
    use_database(name)
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    per_asset = seed(0, size)
    print(
        f"seeded {size:,} assets ({size * per_asset:,} renditions) "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return name


def _seeded(name, size):
    """Tell whether database ``name`` exists and holds ``size`` assets."""
    from django.db import DatabaseError, connection

    use_database(name)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM transcoder_asset")
            return cursor.fetchone()[0] == size
    except DatabaseError:
        connection.close()
        return False


def recreate_database(database_url, name):
    """Drop and create one of the benchmark's databases (never any other)."""
    import psycopg

    parts = urlsplit(database_url)
    if not name.startswith("mediahub_scale_"):
        sys.exit(f"Refusing to drop {name!r}: the name must start with mediahub_scale.")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def copy_rows(model, objects):
    """Insert model instances with PostgreSQL's COPY: bulk_create is too slow here."""
    from django.db import connection

    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [
                        f.get_db_prep_save(f.pre_save(obj, add=True), connection)
                        for f in fields
                    ]
                )


def seed(start, stop):
    """Add assets number ``start`` to ``stop`` with every starter rendition row."""
    from django.db import connection, transaction

    from transcoder import services
    from transcoder.models import Asset, Preset, root_collection

    plan = [(p, s) for p in Preset.objects.filter(active=True) for s in p.specs()]
    # One lookup, not the field default's one per row.
    root = root_collection().pk

    def assets():
        for i in range(start, stop):
            asset_id = uuid.UUID(int=i + 1)
            yield Asset(
                id=asset_id,
                title=f"{WORDS[i % len(WORDS)].title()} {i}",
                alt_text=f"A {WORDS[(i * 3) % len(WORDS)]} photo, number {i}",
                original=f"originals/{asset_id}/{i:016x}.jpg",
                original_filename=f"IMG_{i:06d}.jpg",
                content_hash=f"{i:064x}",
                format="jpeg" if i % 5 else "png",
                mime_type="image/jpeg" if i % 5 else "image/png",
                width=4000,
                height=3000,
                bytes=2_000_000 + i,
                collection_id=root,
            )

    with transaction.atomic():
        copy_rows(Asset, assets())
        with connection.cursor() as cursor:
            # The rendition rows, one set-based INSERT per planned spec.
            for n, (preset, spec) in enumerate(plan):
                insert_renditions(cursor, start, stop, n, len(plan), preset, spec)
            # Spread the upload dates over two years, as a real library's are.
            cursor.execute(
                "UPDATE transcoder_asset SET created_at = now() - "
                "((('x' || substr(md5(id::text), 1, 8))::bit(32)::int & 1023)"
                " * interval '17 hours') WHERE id >= %s AND id <= %s",
                [str(uuid.UUID(int=start + 1)), str(uuid.UUID(int=stop))],
            )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('transcoder_rendition', 'id'),"
                " (SELECT max(id) FROM transcoder_rendition))"
            )
            cursor.execute("ANALYZE")  # Plans for the state refresh below.
        started = time.perf_counter()
        services.asset_states_refresh_all()
        print(
            f"rendition states of {stop - start:,} assets worked out in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
    with connection.cursor() as cursor:
        # As autovacuum would leave a settled library: statistics and the
        # visibility map (which index-only scans need).
        cursor.execute("VACUUM ANALYZE")
    return len(plan)


def insert_renditions(cursor, start, stop, n, per_asset, preset, spec):
    """Insert spec ``n``'s rendition row for assets ``start`` to ``stop``.

    Every FAILED_EVERY-th asset's first spec failed and every PENDING_EVERY-th
    asset's second one is pending, so that each filter finds something.
    """
    width = spec.width or 1600
    height = spec.height or 1200
    status = "'ready'"
    if n == 0:
        status = f"CASE WHEN i %% {FAILED_EVERY} = 0 THEN 'failed' ELSE 'ready' END"
    elif n == 1:
        status = f"CASE WHEN i %% {PENDING_EVERY} = 0 THEN 'pending' ELSE 'ready' END"
    cursor.execute(
        f"""
        INSERT INTO transcoder_rendition (id, asset_id, preset_id, digest, format,
            spec_width, spec_height, width, height, bytes, name, status, error,
            attempts, superseded_at, created_at, updated_at)
        SELECT i * %(per)s + %(n)s + 1, a.id, %(preset)s, %(digest)s, %(format)s,
            %(spec_width)s, %(spec_height)s,
            CASE WHEN s.status = 'ready' THEN %(width)s END,
            CASE WHEN s.status = 'ready' THEN %(height)s END,
            CASE WHEN s.status = 'ready' THEN %(bytes)s END,
            'renditions/' || a.id || %(tail)s, s.status,
            CASE WHEN s.status = 'failed' THEN 'Refused.' ELSE '' END,
            0, NULL, now(), now()
        FROM generate_series(%(start)s, %(stop)s - 1) AS i,
            LATERAL (SELECT lpad(to_hex(i + 1), 32, '0')::uuid AS id) AS a,
            LATERAL (SELECT {status} AS status) AS s
        """,
        {
            "per": per_asset,
            "n": n,
            "preset": preset.pk,
            "digest": spec.digest,
            "format": spec.format,
            "spec_width": spec.width,
            "spec_height": spec.height,
            "width": width,
            "height": height,
            "bytes": 50_000 + n,
            "tail": f"/{preset.slug}/{spec.digest}-{width}.{spec.output.ext}",
            "start": start,
            "stop": stop,
        },
    )


def requests(size):
    """Return ``(label, path)`` for every request timed, at ``size`` assets."""
    from django.urls import reverse

    from transcoder.models import Asset

    changelist = reverse("admin:transcoder_asset_changelist")
    middle = uuid.UUID(int=size // 2 + 1)
    asset = Asset.objects.get(pk=middle)
    last_page = max(1, -(-size // 50))
    year = asset.created_at.year
    return [
        ("admin index", reverse("admin:index")),
        ("asset list", changelist),
        ("asset list, last page", f"{changelist}?p={last_page}"),
        ("filter: all ready", f"{changelist}?renditions=ready"),
        ("filter: some failed", f"{changelist}?renditions=failed"),
        ("filter: some pending", f"{changelist}?renditions=pending"),
        ("filter: format png", f"{changelist}?format__exact=png"),
        ("filter: year", f"{changelist}?created_at__year={year}"),
        ("search: word", f"{changelist}?q=harbour"),
        ("search: file name", f"{changelist}?q=IMG_{size // 2:06d}"),
        ("asset page", reverse("admin:transcoder_asset_change", args=[asset.pk])),
        ("preset list", reverse("admin:transcoder_preset_changelist")),
        ("api list", reverse("transcoder:api-asset-list")),
        ("api last page", f"{reverse('transcoder:api-asset-list')}?page={last_page}"),
        ("api search", f"{reverse('transcoder:api-asset-list')}?q=harbour"),
        ("api asset", reverse("transcoder:api-asset-detail", args=[asset.pk])),
        ("embed redirect", reverse("transcoder:embed", args=[asset.pk, "hero"])),
    ]


def clients():
    """Return a logged-in admin client and an API client with a fresh token."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from transcoder import services
    from transcoder.models import ApiToken

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    admin = Client()
    admin.force_login(user)
    key = services.api_token_issue(token=ApiToken(name="bench", created_by=user))
    api = Client(headers={"Authorization": f"Bearer {key}"})
    return admin, api


def measure(databases, repeat):
    """Return ``{size: {label: (p50 ms, queries, bytes)}}`` for every request.

    Sizes take turns request by request, so a machine that slows down or
    speeds up during the run moves both sides of each ratio alike.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plans = {}
    for size, name in databases.items():
        use_database(name)
        plans[size] = (clients(), requests(size))
    times = {size: {} for size in databases}
    last = {size: {} for size in databases}
    labels = [label for label, _ in plans[min(databases)][1]]
    for index, label in enumerate(labels):
        for attempt in range(repeat + 2):
            for size, name in databases.items():
                use_database(name)
                (admin, api), plan = plans[size]
                path = plan[index][1]
                client = api if path.startswith("/api/") else admin
                connection.ensure_connection()
                connection.queries_log.clear()  # A full log would count 0.
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(path)
                    took = time.perf_counter() - started
                if response.status_code not in (200, 302):
                    sys.exit(f"{label}: {path} answered {response.status_code}")
                if attempt >= 2:  # The first two warm the caches.
                    times[size].setdefault(label, []).append(took * 1000)
                last[size][label] = (
                    len(queries),
                    len(getattr(response, "content", b"")),
                )
    return {
        size: {
            label: (statistics.median(times[size][label]), *last[size][label])
            for label in labels
        }
        for size in databases
    }


def main(argv=None):
    """Seed each size in its own database, time every request, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep databases an earlier run seeded with the same sizes",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    configure(database_url)
    databases = {size: prepare(database_url, size, args.reuse) for size in sizes}
    measured = measure(databases, args.repeat)
    small, large = sizes[0], sizes[-1]
    print(f"\np50 in ms, median of {args.repeat}; queries per request\n")
    header = f"{'request':24} {small:>9,} {large:>9,} {'ratio':>6}  {'queries':>9}"
    print(header + f"  {'KB':>6}")
    worst = 0.0
    for label in measured[small]:
        a, qa, _ = measured[small][label]
        b, qb, size_b = measured[large][label]
        ratio = b / a
        worst = max(worst, ratio)
        flag = "" if ratio <= 1.5 and qa == qb else "  <-"
        print(
            f"{label:24} {a:9.1f} {b:9.1f} {ratio:6.2f}  {qa:>4}/{qb:<4}"
            f"  {size_b / 1024:6.0f}{flag}"
        )
    print(f"\nworst ratio {worst:.2f} (target ≤ 1.5); rerun: make bench-scale")


if __name__ == "__main__":
    main()
