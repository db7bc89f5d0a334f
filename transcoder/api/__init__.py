"""JSON API v1 for sites that embed images: token auth with scopes, signed URLs.

``core.auth`` authenticates and dispatches, ``views.assets`` serves assets,
``views.uploads`` takes new files, ``schema`` describes it all as OpenAPI 3.1,
``core.errors`` keeps every answer JSON and ``core.ratelimit`` counts requests
per token.
"""
