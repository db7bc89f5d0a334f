"""Asset rows without files, made in bulk: for list, job and scale sizes."""


def asset_rows(n, model=None, **fields):
    """Insert ``n`` asset rows directly (no original is stored) and return them.

    ``model`` is the Asset model to use: a migration test passes the
    historical one of the state it migrated to.
    """
    from transcoder.models import Asset

    Asset = model or Asset  # noqa: N806

    values = {
        "format": "jpeg",
        "mime_type": "image/jpeg",
        "width": 800,
        "height": 600,
        "bytes": 1000,
        **fields,
    }
    ext = "png" if values["format"] == "png" else "jpg"
    return Asset.objects.bulk_create(
        Asset(
            title=f"Row {i}",
            original=f"originals/x/{i}.{ext}",
            original_filename=f"{i}.{ext}",
            content_hash=f"{i:064x}",
            **values,
        )
        for i in range(n)
    )
