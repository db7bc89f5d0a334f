"""The pure image pipeline: bytes in, bytes and facts out. Imports no Django."""
