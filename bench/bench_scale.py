"""Time the admin, the API and the embed link at 1,000 assets and at N.

Run with ``make bench-scale N=1000000`` (or ``python -m bench.bench_scale
--sizes 1000,1000000``). It needs PostgreSQL: ``BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``) is where databases are made;
each size gets its own, ``mediahub_scale_<size>``, seeded by bench.scale_seed
(collections, tags, failures, look-alikes, missing alt text, 19 renditions an
asset) and kept for the next run while the seed version matches (``--fresh``
seeds again). Then every request is timed in one process with Django's test
client as two personas, a superuser and an editor limited to one group of
collections; the sizes take turns request by request, so a machine that speeds
up or slows down moves both sides of a ratio alike.

It prints p50 and p95 per request and persona at each size, the growth (p50 at
the largest size over p50 at the smallest) with PASS or FAIL against 1.5, and
the query count at each size, which must not grow: the run fails if one does.
"""

import argparse
import math
import os
import statistics
import sys
import time
import uuid
from urllib.parse import urlsplit

from bench import django_setup, scale_seed
from bench.scale_requests import scale_requests

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PREFIX = "mediahub_scale_"
GROWTH_LIMIT = 1.5


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


def _stamp(size):
    return f"mediahub bench seed v{scale_seed.SEED_VERSION}: {size} assets"


def prepare(database_url, size, fresh=False):
    """Return the database of ``size`` assets: kept if seeded alike, else made."""
    from django.core.management import call_command

    name = f"{PREFIX}{size}"
    if not fresh and _stamp_of(database_url, name) == _stamp(size):
        use_database(name)
        call_command("migrate", verbosity=0, interactive=False)
        print(f"reusing {name} (seed v{scale_seed.SEED_VERSION})", flush=True)
        return name
    recreate_database(database_url, name)
    use_database(name)
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    per_asset = scale_seed.seed(size, log=lambda line: print(line, flush=True))
    print(
        f"seeded {name}: {size:,} assets, {size * per_asset:,} renditions, "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    _admin_execute(database_url, f"COMMENT ON DATABASE \"{name}\" IS '{_stamp(size)}'")
    return name


def _admin_execute(database_url, sql, params=None):
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def _stamp_of(database_url, name):
    rows = _admin_execute(
        database_url,
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
        " WHERE datname = %s",
        [name],
    )
    return rows[0][0] if rows else None


def database_size(database_url, name):
    """Return ``name``'s size on disk, in bytes."""
    return _admin_execute(database_url, "SELECT pg_database_size(%s)", [name])[0][0]


def recreate_database(database_url, name):
    """Drop and create one of the benchmark's databases (never any other)."""
    if not name.startswith(PREFIX):
        sys.exit(f"Refusing to drop {name!r}: the name must start with {PREFIX}.")
    _admin_execute(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin_execute(database_url, f'CREATE DATABASE "{name}"')


def personas():
    """Return ``{persona: (user, grid client, table client, api client)}``."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from transcoder import services
    from transcoder.models import ApiToken

    User = get_user_model()
    boss, _ = User.objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    editor, made = User.objects.get_or_create(
        username="bench-editor", defaults={"is_staff": True}
    )
    if made:
        editor.groups.add(Group.objects.get(name=scale_seed.EDITOR_GROUP))
    found = {}
    for label, user in (("superuser", boss), ("editor", editor)):
        grid, table = Client(), Client()
        for client, mode in ((grid, "grid"), (table, "table")):
            client.force_login(user)
            client.get(f"/admin/transcoder/asset/?view={mode}")
        key = services.api_token_issue(token=ApiToken(name="bench", created_by=user))
        api = Client(headers={"Authorization": f"Bearer {key}"})
        found[label] = (grid, table, api)
    return found


def requests(size):
    """Return ``[(label, client kind, path)]``: every request timed at ``size``
    (bench.scale_requests, the list the suite counts queries of too)."""
    from transcoder.models import Asset, Collection
    from transcoder.web.pagination import cursor_for

    # An asset in the editor's collections (i % 20 == 5: a leaf of the first
    # group), in a row of 20 without look-alikes (see scale_seed._kinds).
    middle = size // 2 - size // 2 % 20 + 5 + 20 * 5
    asset = Asset.objects.get(pk=uuid.UUID(int=middle + 1))
    # The editor's group (with its four collections): more than a page at 1,000.
    reach = Collection.objects.get(name=scale_seed.EDITOR_COLLECTION)
    twins = Asset.objects.filter(
        near_duplicates__gt=0, collection__path__startswith=reach.path
    ).order_by("pk")
    # A cursor an eighth of the way down the whole list (the API's next links
    # carry such cursors).
    newest_first = Asset.objects.order_by("-created_at", "-id")
    return scale_requests(
        asset=asset,
        lookalike=twins[twins.count() // 2],
        collection_id=reach.pk,
        tag="seaside",
        # A tag and a number, as the probe's "seaside 9999", but one that
        # fills a page at 1,000 too (an empty page takes fewer queries).
        tag_search="seaside a",
        word="photo",
        file_name=f"IMG_{middle:06d}",
        cursor=cursor_for(newest_first[size // 8]),
        status_ids=[str(pk) for pk in Asset.objects.values_list("pk", flat=True)[:50]],
        embed=(asset.pk, "hero"),
    )


def measure(databases, repeat, only=None):
    """Return ``{size: {(label, persona): (times ms, queries, rows)}}``; ``only``
    names the requests to time (all when empty)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plans = {}
    for size, name in databases.items():
        use_database(name)
        plans[size] = (personas(), requests(size))
    found = {size: {} for size in databases}
    labels = [label for label, _, _ in plans[min(databases)][1]]
    unknown = set(only or ()) - set(labels)
    if unknown:
        sys.exit(f"No such request: {sorted(unknown)}; the requests: {labels}")
    for index, label in enumerate(labels):
        if only and label not in only:
            continue
        for persona in ("superuser", "editor"):
            for attempt in range(repeat + 2):
                for size, name in databases.items():
                    use_database(name)
                    clients, plan = plans[size]
                    grid, table, api = clients[persona]
                    _, kind, path = plan[index]
                    client = {"grid": grid, "table": table, "api": api}[kind]
                    connection.ensure_connection()
                    connection.queries_log.clear()  # A full log would count 0.
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        response = client.get(path)
                        took = (time.perf_counter() - started) * 1000
                    if response.status_code not in (200, 302):
                        sys.exit(f"{label}: {path} answered {response.status_code}")
                    times, fewest, _ = found[size].setdefault(
                        (label, persona), ([], math.inf, None)
                    )
                    if attempt >= 2:  # The first two warm the caches.
                        times.append(took)
                    # The fewest: an API token's first request in a minute
                    # also clears its older rate-limit rows.
                    found[size][(label, persona)] = (
                        times,
                        min(fewest, len(queries)),
                        _rows(response),
                    )
    return found


def _rows(response):
    """Return how many assets a page lists (result rows or API results)."""
    context = getattr(response, "context_data", None) or {}
    if "cl" in context:
        return len(context["cl"].result_list)
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body.get("results"), list):
            return len(body["results"])
    return None


def p95(times):
    ordered = sorted(times)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def report(measured, sizes, repeat):
    """Print the table; return the failures (growth or query count)."""
    small, large = sizes[0], sizes[-1]
    print(f"\nms over {repeat} runs per request; queries and rows at each size\n")
    print(
        f"{'request':26} {'persona':9} {'p50 ' + format(small, ','):>11}"
        f" {'p50 ' + format(large, ','):>13} {'p95 ' + format(large, ','):>13}"
        f" {'growth':>7}       {'queries':>9} {'rows':>9}"
    )
    failures = []
    for key in measured[small]:
        label, persona = key
        times_a, qa, rows_a = measured[small][key]
        times_b, qb, rows_b = measured[large][key]
        a, b = statistics.median(times_a), statistics.median(times_b)
        growth = b / a
        verdict = "PASS" if growth <= GROWTH_LIMIT else "FAIL"
        if verdict == "FAIL":
            failures.append(f"{label} ({persona}): growth {growth:.2f}")
        if qa != qb:
            failures.append(f"{label} ({persona}): queries {qa} -> {qb}")
        rows = "" if rows_a is None else f"{rows_a}/{rows_b}"
        print(
            f"{label:26} {persona:9} {a:11.1f} {b:13.1f} {p95(times_b):13.1f}"
            f" {growth:7.2f} {verdict}  {qa:>4}/{qb:<4} {rows:>9}"
        )
    return failures


def main(argv=None):
    """Seed (or reuse) each size's database, time every request, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--fresh", action="store_true", help="seed again even if a seed matches"
    )
    parser.add_argument("--seed-only", action="store_true", help="seed, time nothing")
    parser.add_argument(
        "--only",
        action="append",
        metavar="LABEL",
        help="time only this request (repeat for more), e.g. to rerun a row",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not urlsplit(database_url).path.strip("/"):
        sys.exit("BENCH_DATABASE_URL must name a database to connect to.")
    configure(database_url)
    databases = {size: prepare(database_url, size, args.fresh) for size in sizes}
    for name in databases.values():
        print(f"{name}: {database_size(database_url, name) / 2**30:.2f} GiB")
    if args.seed_only:
        return
    measured = measure(databases, args.repeat, args.only)
    failures = report(measured, sizes, args.repeat)
    print(
        f"\ngrowth = p50 at {sizes[-1]:,} / p50 at {sizes[0]:,}, "
        f"target ≤ {GROWTH_LIMIT}; rerun: make bench-scale N={sizes[-1]}"
    )
    if failures:
        print("\n".join(["", "FAILED:", *failures]))
        sys.exit(1)


if __name__ == "__main__":
    main()
