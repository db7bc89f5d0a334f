"""JSON API v1 for sites that embed images: token auth with scopes, signed URLs.

``auth`` authenticates and dispatches, ``views`` serves assets, ``uploads``
takes new files, ``schema`` describes it all as OpenAPI 3.1, ``errors``
keeps every answer JSON and ``ratelimit`` counts requests per token.
"""
