"""The admin: thin ModelAdmins, admin views, forms and template helpers.

Django autodiscovers ``transcoder.admin``; importing the modules that
register ModelAdmins here registers them all. The packages group them by
concern: images/ (the asset pages), access/ (collections, their permissions
and what is kept per collection), integrations/ (keys and webhooks) and
shell/ (the home, shared views, forms and HTML).
"""

# Each import registers its ModelAdmins. The order is the registration order
# the flat admin/ had (Collection, Tag, TrashedAsset, Asset, then the rest).
# isort: off
from transcoder.admin.access import collections  # noqa: F401
from transcoder.admin.images import grid  # noqa: F401
from transcoder.admin.access import trash  # noqa: F401
from transcoder.admin.images import assets  # noqa: F401
from transcoder.admin.integrations import keys  # noqa: F401
from transcoder.admin.access import moderation  # noqa: F401
from transcoder.admin import presets  # noqa: F401
from transcoder.admin.integrations import publishable  # noqa: F401
from transcoder.admin.access import refusals  # noqa: F401
from transcoder.admin.integrations import webhooks  # noqa: F401
# isort: on
