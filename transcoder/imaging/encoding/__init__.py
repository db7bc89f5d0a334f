"""Encoding: the still encoders, libavif, and animations frame by frame."""
