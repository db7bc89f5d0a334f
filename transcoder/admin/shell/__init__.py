"""The admin's shell: the media home, shared views, forms and HTML helpers."""
