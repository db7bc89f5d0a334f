"""The migrations are the schema: no model change is left without one."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    """`makemigrations --check` finds nothing to write for any app."""
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as e:  # --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations would write a migration:\n{out.getvalue()}")
        raise AssertionError from e
    assert "No changes detected" in out.getvalue()
