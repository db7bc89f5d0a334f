"""Resizing: the cascade of resizes, libvips, threads and memory."""
