"""Seed a synthetic library for the scale benchmark, set-based, on PostgreSQL.

A library shaped like a real one: every asset in one of 20 collections (a
two-level tree: four groups under the root, four collections in each), three
of 50 tags (a quarter carry the popular "seaside"), a perceptual hash and its
bands, the rendition rows of every active preset (19 with the starter
presets), 10% without alt text, about 1% with a failed rendition, 1% with a
pending one and 1% in look-alike pairs (both of a pair in one collection).
The small sizes get those rare kinds at least ``PAGE_FILL`` times each, so
that every filter renders a full page of 50 at every size, for the editor
too (who sees a quarter), and a ratio of two sizes compares equal work.

No image files exist: nothing here renders. Rows go in with INSERT … SELECT
over generate_series, in primary-key order, which PostgreSQL does faster than
COPY from Python; foreign-key checks and the totals' triggers are off for the
load (``session_replication_role``), the tables' plain indexes are built
after it, and the totals are summed once at the end.
"""

import time

# Bump when what the seed makes changes: a database seeded by another
# version is made again rather than reused.
SEED_VERSION = 6
PAGE_FILL = 240
GROUPS = ["Brand", "Events", "Products", "Travel"]
LEAVES = ["Archive", "Drafts", "Press", "Social"]
WORDS = ["harbour", "sunset", "portrait", "market", "forest", "skyline", "studio"]
TAGS = [
    *"seaside harbour sunset portrait market forest skyline studio beach river"
    " mountain city night winter summer spring autumn people food street"
    " architecture interior product logo event team office garden bridge boat"
    " train car snow rain cloud flower tree animal dog cat bird horse sport"
    " music stage crowd museum church castle lake".split(),
]
assert len(TAGS) == 50 and len(set(TAGS)) == 50
EDITOR_GROUP = "Bench collection editors"
EDITOR_COLLECTION = GROUPS[0]


def spacing(size):
    """Return n: the rare kinds recur every n assets (1% at scale)."""
    return max(1, min(100, size // PAGE_FILL))


def seed(size, log=print):
    """Seed ``size`` assets into the current (freshly migrated) database.

    Return the number of rendition rows per asset.
    """
    from django.db import connection, transaction

    started = time.perf_counter()
    step = _timed(log)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        leaves = collections()
        tags = tag_rows()
        _editor()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            dropped = _drop_plain_indexes(cursor, LOADED)
            step("assets", insert_assets, cursor, size, leaves)
            step("hash bands", insert_bands, cursor, size)
            step("look-alike pairs", insert_pairs, cursor, size)
            step("tags", insert_tags, cursor, size, tags)
            per_asset = step("renditions", insert_renditions, cursor, size)
            step("indexes", _create, cursor, dropped)
            for table in LOADED[1:]:  # Assets have UUIDs.
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            step("totals", _sum_totals, cursor)
    with connection.cursor() as cursor:
        # As autovacuum would leave a settled library: statistics and the
        # visibility map (which index-only scans need).
        step("vacuum analyze", cursor.execute, "VACUUM ANALYZE")
    log(f"seeded {size:,} assets in {time.perf_counter() - started:.1f} s")
    return per_asset


LOADED = [
    "transcoder_asset",
    "transcoder_assethashband",
    "transcoder_assetlookalike",
    "transcoder_taggedasset",
    "transcoder_rendition",
]


def _drop_plain_indexes(cursor, tables):
    """Drop the indexes of ``tables`` that back no constraint; return their SQL."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [tables],
    )
    found = cursor.fetchall()
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def _create(cursor, statements):
    for sql in statements:
        cursor.execute(sql)


def _sum_totals(cursor):
    """Sum the kept totals once (the triggers were off for the load)."""
    import importlib

    migration = importlib.import_module("transcoder.migrations.0012_scale_indexes")
    migration.sum_totals(cursor.execute, live=True)


def _timed(log):
    def step(label, function, *args):
        started = time.perf_counter()
        result = function(*args)
        log(f"  {label}: {time.perf_counter() - started:.1f} s")
        return result

    return step


def collections():
    """Make the tree; return the 20 collections' ids, groups first."""
    from transcoder.models import root_collection

    root = root_collection()
    ids = []
    for name in GROUPS:
        group = root.add_child(name=name)
        root.refresh_from_db()
        ids.append(group.pk)
    for name in GROUPS:
        group = root.get_children().get(name=name)
        for leaf in LEAVES:
            ids.append(group.add_child(name=f"{name} {leaf}").pk)
            group.refresh_from_db()
    return ids


def _editor():
    """Give the editor group view, add and change in one group of the tree."""
    from django.contrib.auth.models import Group, Permission

    from transcoder.models import Collection, GroupCollectionPermission

    group, _ = Group.objects.get_or_create(name=EDITOR_GROUP)
    where = Collection.objects.get(name=EDITOR_COLLECTION)
    for action in ("view", "add", "change"):
        GroupCollectionPermission.objects.get_or_create(
            group=group,
            collection=where,
            permission=Permission.objects.get(
                content_type__app_label="transcoder", codename=f"{action}_asset"
            ),
        )


def tag_rows():
    """Insert the 50 tags; return their ids in TAGS order."""
    from taggit.models import Tag

    Tag.objects.bulk_create(Tag(name=name, slug=name) for name in TAGS)
    by_name = dict(Tag.objects.values_list("name", "pk"))
    return [by_name[name] for name in TAGS]


# Per asset number i: what is rare, and where it recurs (see spacing()). The
# kinds go by rows of 20 (i / 20), one asset in each collection (i % 20), so
# every collection, the editor's too, has its share of each.
def _kinds(size):
    n = spacing(size)
    return {
        "n": n,
        "failed": f"((i / 20) %% {n} = {1 % n})",
        "pending": f"((i / 20) %% {n} = {2 % n})",
        # Look-alike pairs: i and i + 20 (one collection) in the first two
        # rows of every 2n, one to four bits apart.
        "pair": f"((i / 20) %% {2 * n} IN (0, 1))",
        "no_alt": f"((i / 20) %% {min(10, n)} = {3 % min(10, n)})",
    }


ASSET_COLUMNS = {
    "id": "lpad(to_hex(i + 1), 32, '0')::uuid",
    "title": "initcap((%(words)s::text[])[i %% 7 + 1]) || ' ' || i",
    "alt_text": (
        "CASE WHEN {no_alt} THEN '' ELSE 'A ' || (%(words)s::text[])[(i * 3) %% 7 + 1]"
        " || ' photo, number ' || i END"
    ),
    "decorative": "false",
    "original": (
        "'originals/' || lpad(to_hex(i + 1), 32, '0')::uuid || '/' || i || '.jpg'"
    ),
    "original_filename": "'IMG_' || lpad(i::text, 6, '0') || '.jpg'",
    "content_hash": "lpad(to_hex(i), 64, '0')",
    "format": "CASE WHEN i %% 5 = 0 THEN 'png' ELSE 'jpeg' END",
    "mime_type": "CASE WHEN i %% 5 = 0 THEN 'image/png' ELSE 'image/jpeg' END",
    "width": "4000",
    "height": "3000",
    "bytes": "2000000 + i",
    "frames": "1",
    "focal_x": "NULL",
    "focal_y": "NULL",
    "focal_width": "NULL",
    "focal_height": "NULL",
    "upload_key": "NULL",
    "uploaded_by_id": "NULL",
    # A pair shares its hash but for the last hex digit (1 to 4 bits apart).
    "dhash": (
        "CASE WHEN {pair} THEN substr(md5('pair' || (i / {n40}) || '-' || i %% 20),"
        " 1, 15) || CASE WHEN (i / 20) %% 2 = 0 THEN '0' ELSE '1' END"
        " ELSE substr(md5(i::text), 1, 16) END"
    ),
    "near_duplicates": "CASE WHEN {pair} THEN 1 ELSE 0 END",
    "spec_source": "''",
    "file_uploaded_at": "NULL",
    "collection_id": "(%(leaves)s::int[])[i %% 20 + 1]",
    # Upload dates over two years, as a real library's are.
    "created_at": "now() - (((i::bigint * 7919) %% 1024) * interval '17 hours')"
    " - i * interval '1 millisecond'",
    "updated_at": "now()",
    # What files said of themselves (services.assets.metadata): synthetic files
    # say nothing.
    "caption": "''",
    "creator": "''",
    "credit": "''",
    "copyright": "''",
    "captured_at": "NULL",
    "camera": "''",
    # None is in the Trash, as in the probe's library.
    "trashed_at": "NULL",
    "trashed_by_id": "NULL",
    "collection_lost": "false",
    "rendition_state": (
        "CASE WHEN {failed} THEN 'failed' WHEN {pending} THEN 'pending'"
        " ELSE 'ready' END"
    ),
}


def insert_assets(cursor, size, leaves):
    """Insert every asset in one statement; fail loudly if the table changed."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'transcoder_asset'"
    )
    columns = {row[0] for row in cursor.fetchall()}
    extra = columns - set(ASSET_COLUMNS) - set(DERIVED_COLUMNS)
    if extra:
        raise SystemExit(f"The seed does not fill transcoder_asset.{sorted(extra)}.")
    kinds = _kinds(size)
    names = [c for c in ASSET_COLUMNS if c in columns]
    values = [ASSET_COLUMNS[c].format(n40=40 * kinds["n"], **kinds) for c in names]
    cursor.execute(
        f"INSERT INTO transcoder_asset ({', '.join(names)})"
        f" SELECT {', '.join(values)} FROM generate_series(0, %(size)s - 1) AS i",
        {"size": size, "words": WORDS, "leaves": leaves},
    )
    for column, sql in DERIVED_COLUMNS.items():
        if column in columns:
            cursor.execute(sql)


# Columns the app fills from others (kept by services); set after the insert.
DERIVED_COLUMNS = {}


def insert_bands(cursor, size):
    """Insert the bands of every asset's hash (see imaging.analysis.perceptual)."""
    from transcoder.imaging.analysis.perceptual import BAND_WIDTHS

    starts, at = [], 1
    for width in BAND_WIDTHS:
        starts.append((at, width))
        at += width
    bands = " UNION ALL ".join(
        f"SELECT {n} AS band, {s} AS start, {w} AS width"
        for n, (s, w) in enumerate(starts)
    )
    cursor.execute(
        "INSERT INTO transcoder_assethashband (id, asset_id, band, value, hash)"
        " SELECT row_number() OVER (ORDER BY a.id, b.band), a.id, b.band,"
        " substring(('x' || a.dhash)::bit(64) FROM b.start FOR b.width)::int,"
        " ('x' || a.dhash)::bit(64)::bigint"
        f" FROM transcoder_asset a, ({bands}) b WHERE a.dhash <> ''"
    )


def insert_pairs(cursor, size):
    """Insert both rows of every look-alike pair: i and i + 20, 1 bit apart."""
    kinds = _kinds(size)
    cursor.execute(
        "INSERT INTO transcoder_assetlookalike (id, asset_id, other_id, distance)"
        " SELECT row_number() OVER (ORDER BY i, k),"
        " lpad(to_hex(i + 1 + 20 * k), 32, '0')::uuid,"
        " lpad(to_hex(i + 21 - 20 * k), 32, '0')::uuid, 1"
        " FROM generate_series(0, %(size)s - 21) AS i, generate_series(0, 1) AS k"
        f" WHERE (i / 20) %% {2 * kinds['n']} = 0",
        {"size": size},
    )


def insert_tags(cursor, size, tags):
    """Give asset i three distinct tags of the 49 after "seaside", i + 16k
    (mod 49) for k = 0, 1, 2; every fourth asset's first is "seaside"."""
    cursor.execute(
        "INSERT INTO transcoder_taggedasset (id, content_object_id, tag_id)"
        " SELECT i * 3 + k + 1, lpad(to_hex(i + 1), 32, '0')::uuid,"
        " (%(tags)s::int[])[CASE WHEN k = 0 AND i %% 4 = 0 THEN 1"
        " ELSE (i + k * 16) %% 49 + 2 END]"
        " FROM generate_series(0, %(size)s - 1) AS i, generate_series(0, 2) AS k",
        {"size": size, "tags": tags},
    )


def insert_renditions(cursor, size):
    """Insert every active preset's rendition rows, ready but for the rare kinds.

    The failed assets' first spec failed; the pending ones' second is pending.
    Return the number of rows per asset.
    """
    from transcoder.models import Preset

    plan = [(p, s) for p in Preset.objects.filter(active=True) for s in p.specs()]
    kinds = _kinds(size)
    specs = []
    for n, (preset, spec) in enumerate(plan):
        width = spec.width or 1600
        height = spec.height or 1200
        specs.append(
            cursor.mogrify(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    n,
                    preset.pk,
                    spec.digest,
                    spec.format,
                    spec.width,
                    spec.height,
                    width,
                    height,
                    f"/{preset.slug}/{spec.digest}-{width}.{spec.output.ext}",
                ],
            )
        )
    cursor.execute(
        f"""
        INSERT INTO transcoder_rendition (id, asset_id, preset_id, digest, format,
            spec_width, spec_height, width, height, bytes, name, status, error,
            attempts, superseded_at, created_at, updated_at)
        SELECT i * %(per)s + p.n + 1, a.id, p.preset, p.digest, p.format,
            p.spec_width, p.spec_height,
            CASE WHEN s.status = 'ready' THEN p.width END,
            CASE WHEN s.status = 'ready' THEN p.height END,
            CASE WHEN s.status = 'ready' THEN 50000 + p.n END,
            'renditions/' || a.id || p.tail, s.status,
            CASE WHEN s.status = 'failed' THEN 'Refused.' ELSE '' END,
            0, NULL, now(), now()
        FROM generate_series(0, %(size)s - 1) AS i
        CROSS JOIN (VALUES {", ".join(specs)}) AS p(n, preset, digest, format,
            spec_width, spec_height, width, height, tail)
        CROSS JOIN LATERAL (SELECT lpad(to_hex(i + 1), 32, '0')::uuid AS id) AS a
        CROSS JOIN LATERAL (SELECT CASE
            WHEN p.n = 0 AND {kinds["failed"]} THEN 'failed'
            WHEN p.n = 1 AND {kinds["pending"]} THEN 'pending'
            ELSE 'ready' END AS status) AS s
        ORDER BY i, p.n
        """,
        {"per": len(plan), "size": size},
    )
    return len(plan)
