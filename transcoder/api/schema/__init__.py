"""The OpenAPI 3.1 document of API v1, in parts by concern."""
