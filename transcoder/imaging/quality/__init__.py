"""Perceptual quality: the auto-quality search and its SSIMULACRA2 metric."""
