"""The admin: thin ModelAdmins, admin views, forms and template helpers.

Django autodiscovers ``transcoder.admin``; importing the modules that
register ModelAdmins here registers them all.
"""

from transcoder.admin import (  # noqa: F401 - each registers its ModelAdmins
    assets,
    collections,
    grid,
    keys,
    moderation,
    presets,
    publishable,
    refusals,
    trash,
    webhooks,
)
