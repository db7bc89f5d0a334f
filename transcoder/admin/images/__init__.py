"""The asset pages: the list and grid, the change page and its panels, uploads."""
