"""The library's order: collections, tags, the Trash, duplicates, the write lock."""
