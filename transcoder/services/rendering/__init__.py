"""Renditions: presets, queueing and building them, each asset's state, placeholders."""
