"""Delivery: signed URLs, presigned uploads, format negotiation, embed and serving."""
