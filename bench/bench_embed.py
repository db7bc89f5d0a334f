"""Measure the embed redirect, anonymous and with a counted site key.

Run with ``python -m bench.bench_embed`` (SQLite in a temporary folder; set
DATABASE_URL to measure on PostgreSQL). It prints the median time of one
redirect through Django's test client and the queries each one runs; the site
key adds one SELECT and one ``UPDATE ... SET request_count = request_count + 1``.
Every redirect counts its usage with one ``INSERT ... ON CONFLICT DO UPDATE``;
"no usage" measures the same redirect with that statement switched off.
"""

from bench import django_setup, timing


def main():
    # Renditions are built inline, so the redirect has one to name.
    django_setup.configure(MEDIAHUB_TASK_BACKEND=django_setup.IMMEDIATE_TASKS)
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    from django.test import Client

    from tests.images import make_image
    from transcoder import services
    from transcoder.models import Preset, SiteKey
    from transcoder.services.access import sitekeys

    services.preset_save(
        preset=Preset(
            slug="bench", name="Bench", widths=[320, 640], formats=["webp", "jpeg"]
        )
    )
    asset = services.asset_create(content=make_image("JPEG", size=(800, 600)))
    key = sitekeys.site_key_issue(
        site_key=SiteKey(name="Bench", allowed_origins="https://site.example")
    )
    client = Client()
    url = f"/e/{asset.pk}/bench/?w=300"
    headers = {
        "Accept": "image/avif,image/webp,*/*",
        "Referer": "https://site.example/",
    }
    anonymous = lambda: client.get(url, headers=headers)  # noqa: E731
    keyed = lambda: client.get(f"{url}&key={key.key}", headers=headers)  # noqa: E731
    assert anonymous().status_code == keyed().status_code == 302
    for _ in range(50):
        anonymous(), keyed()
    from transcoder.services.access import usage

    real_record = usage.usage_record

    def uncounted():
        usage.usage_record = lambda **kwargs: None
        try:
            return anonymous()
        finally:
            usage.usage_record = real_record

    rows = []
    for name, call in (
        ("anonymous", anonymous),
        ("no usage", uncounted),
        ("site key", keyed),
    ):
        queries = []

        def record(execute, sql, *args, seen=queries):
            seen.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(record):
            call()
        rows.append((name, timing.median_ms(call, 500), len(queries)))
    print(f"database: {connection.vendor}")
    for name, ms, count in rows:
        print(f"{name:10} {ms:6.2f} ms per redirect, {count} queries")
    print(f"usage cost: {rows[0][1] - rows[1][1]:+.2f} ms per redirect")
    print(f"site key cost: {rows[2][1] - rows[0][1]:+.2f} ms per redirect")
    key.refresh_from_db()
    print(f"requests counted: {key.request_count}")
    connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
