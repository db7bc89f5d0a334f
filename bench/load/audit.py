"""What the database and the bucket hold after a load run, against what was accepted."""

import subprocess


def psql(sql, db="postgres"):
    """Run one SQL statement with psql on 127.0.0.1 and return its text output."""
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atc", sql],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.strip()


def not_ready_by_phase(db, phases):
    ids = set(
        psql(
            "select distinct asset_id from transcoder_rendition "
            "where status <> 'ready'",
            db,
        ).split("\n")
    ) - {""}
    return {phase: len(ids & set(accepted)) for phase, accepted in phases.items()}


def audit(db, s3, bucket, accepted):
    """Check what the database and the bucket hold against what was accepted."""
    q = lambda sql: psql(sql, db)  # noqa: E731
    active = int(q("select count(*) from transcoder_preset where active"))
    ready = q(
        "select status, count(*) from transcoder_rendition group by status order by 1"
    )
    dupes = q(
        "select count(*) from (select asset_id, preset_id, digest, count(*) from "
        "transcoder_rendition group by 1, 2, 3 having count(*) > 1) d"
    )
    assets = int(q("select count(*) from transcoder_asset"))
    per_asset = q(
        "select min(n), max(n) from (select a.id, count(r.id) filter (where "
        "r.status = 'ready') n from transcoder_asset a left join "
        "transcoder_rendition r on r.asset_id = a.id group by a.id) c"
    )
    missing = q(
        "select count(*) from transcoder_asset a where exists (select 1 from "
        "transcoder_rendition r where r.asset_id = a.id and r.status <> 'ready')"
    )
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [o["Key"] for o in page.get("Contents", [])]
    names = set(
        q("select name from transcoder_rendition where name <> ''").split("\n")
    ) - {""}
    originals = set(q("select original from transcoder_asset").split("\n")) - {""}
    rendition_keys = {k for k in keys if k.startswith("renditions/")}
    return {
        "assets": assets,
        "accepted": len(accepted),
        "distinct_accepted": len(set(accepted)),
        "active_presets": active,
        "renditions_by_status": ready,
        "ready_renditions_per_asset_min_max": per_asset,
        "assets_with_a_rendition_not_ready": int(missing),
        "duplicate_rendition_rows": int(dupes),
        "rendition_objects": len(rendition_keys),
        "rendition_rows_with_object": len(names & rendition_keys),
        "rendition_objects_without_row": len(rendition_keys - names),
        "original_objects": len([k for k in keys if k.startswith("originals/")]),
        "originals_in_rows": len(originals),
        "uploads_left": len([k for k in keys if k.startswith("uploads/")]),
    }
