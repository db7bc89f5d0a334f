"""What a burst left behind, read from PostgreSQL and S3 after the fact."""

import statistics

from bench.lambda_harness import backing


def table_exists(conn, name):
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", [name]).fetchone()[0]


def refused_keys(conn, keys):
    """Return the upload keys with a recorded refusal (UploadRefusal), if it exists."""
    if not table_exists(conn, "transcoder_uploadrefusal"):
        return None
    columns = {
        row[0]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'transcoder_uploadrefusal'"
        )
    }
    column = next((c for c in ("key", "upload_key") if c in columns), None)
    if column is None:
        return set()
    rows = conn.execute(
        f"SELECT DISTINCT {column} FROM transcoder_uploadrefusal "  # noqa: S608
        f"WHERE {column} = ANY(%s)",
        [list(keys)],
    )
    return {row[0] for row in rows}


def percentile(values, fraction):
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[
        round(fraction * 100) - 1
    ]


def collect(*, database, keys, uploaded_at, stored_uploads):
    """Return the burst's figures.

    ``uploaded_at`` maps each key to when its object was stored (epoch
    seconds); ``stored_uploads`` is the set of keys still under uploads/.
    """
    keys = list(keys)
    with backing.connect(database) as conn:
        assets = conn.execute(
            "SELECT upload_key, id, rendition_state, content_hash "
            "FROM transcoder_asset WHERE upload_key = ANY(%s)",
            [keys],
        ).fetchall()
        per_key = {}
        for key, asset_id, state, content_hash in assets:
            per_key.setdefault(key, []).append((asset_id, state, content_hash))
        ids = [row[1] for row in assets]
        renditions = dict(
            conn.execute(
                "SELECT status, count(*) FROM transcoder_rendition "
                "WHERE asset_id = ANY(%s) GROUP BY status",
                [ids],
            ).fetchall()
        )
        ready_at = dict(
            conn.execute(
                "SELECT a.upload_key, extract(epoch FROM max(r.updated_at)) "
                "FROM transcoder_asset a JOIN transcoder_rendition r "
                "ON r.asset_id = a.id WHERE a.upload_key = ANY(%s) "
                "AND a.rendition_state = 'ready' GROUP BY a.upload_key",
                [keys],
            ).fetchall()
        )
        hashes = conn.execute(
            "SELECT content_hash, count(*) FROM transcoder_asset "
            "WHERE upload_key = ANY(%s) GROUP BY content_hash HAVING count(*) > 1",
            [keys],
        ).fetchall()
        refused = refused_keys(conn, keys)
    without_asset = [k for k in keys if k not in per_key]
    refused_set = refused or set()
    pending = [k for k in without_asset if k not in refused_set and k in stored_uploads]
    lost = [
        k for k in without_asset if k not in refused_set and k not in stored_uploads
    ]
    waits = sorted(
        float(ready_at[k]) - uploaded_at[k] for k in ready_at if k in uploaded_at
    )
    return {
        "uploads": len(keys),
        "assets": len(per_key),
        "assets_ready": sum(1 for rows in per_key.values() if rows[0][1] == "ready"),
        "renditions": renditions,
        "refusals": None if refused is None else len(refused),
        "duplicates": sum(len(rows) - 1 for rows in per_key.values())
        + sum(count - 1 for _, count in hashes),
        "pending_uploads": len(pending),
        "lost": len(lost),
        "lost_keys": lost[:20],
        "ready_p50_s": percentile(waits, 0.5),
        "ready_p95_s": percentile(waits, 0.95),
        "ready_max_s": waits[-1] if waits else None,
    }
