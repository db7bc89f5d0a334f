"""The outbox: the change log written with each change, and webhooks sent from it."""
