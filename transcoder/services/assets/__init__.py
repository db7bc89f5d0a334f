"""Assets and their files: uploads, versions, edits, metadata, focal areas, erasure."""
