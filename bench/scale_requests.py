"""The requests of the library at scale: one list for the benchmark and the suite.

``make bench-scale`` (bench/bench_scale.py) times each of them at 1,000 assets
and at N; ``tests/test_scale_queries.py`` checks that each takes as many
queries at 40 assets as at 5. Both ask this list, each with the assets of its
own library, so a request added here is timed and counted alike.
"""

LIST = "/admin/transcoder/asset/"


def scale_requests(
    *,
    asset,
    lookalike,
    collection_id,
    tag,
    tag_search,
    word,
    file_name,
    cursor,
    status_ids,
    embed,
):
    """Return ``[(label, client kind, path)]``; kind is grid, table or api.

    ``asset`` and ``lookalike`` are assets the personas may view, the second
    with a look-alike; ``tag_search`` a tag and a word, ``word`` a word of
    titles, ``file_name`` one asset's file name; ``cursor`` an API cursor deep
    in the list; ``status_ids`` the ids the status endpoint is asked about;
    ``embed`` an (asset id, preset slug) with a ready rendition.
    """
    from urllib.parse import urlencode

    from django.urls import reverse

    api = reverse("transcoder:api-asset-list")

    def on(path, **query):
        return f"{path}?{urlencode(query)}"

    return [
        ("media home", "grid", reverse("admin:index")),
        ("list: grid", "grid", LIST),
        ("list: table", "table", LIST),
        ("filter: some failed", "grid", on(LIST, renditions="failed")),
        ("filter: near duplicates", "grid", on(LIST, near_duplicates="yes")),
        ("filter: tag", "grid", on(LIST, tag=tag)),
        ("filter: collection", "grid", on(LIST, collection=collection_id)),
        ("filter: missing alt", "grid", on(LIST, alt="missing")),
        ("filter: failed, table", "table", on(LIST, renditions="failed")),
        ("search: tag and word", "grid", on(LIST, q=tag_search)),
        ("search: word", "grid", on(LIST, q=word)),
        ("search: file name", "grid", on(LIST, q=file_name)),
        ("asset page", "grid", asset.get_absolute_url()),
        ("asset page, look-alike", "grid", lookalike.get_absolute_url()),
        ("status endpoint", "grid", on(f"{LIST}status/", ids=",".join(status_ids))),
        ("api list", "api", api),
        ("api search", "api", on(api, q=word)),
        ("api tag", "api", on(api, tag=tag)),
        ("api collection", "api", on(api, collection=collection_id)),
        ("api deep page (cursor)", "api", on(api, cursor=cursor)),
        ("api asset", "api", reverse("transcoder:api-asset-detail", args=[asset.pk])),
        ("embed redirect", "grid", reverse("transcoder:embed", args=list(embed))),
    ]
