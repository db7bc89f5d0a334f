"""Reach from outside: API tokens, site and publishable keys, the widget, usage."""
