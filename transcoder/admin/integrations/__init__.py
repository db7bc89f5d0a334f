"""What outside sites hold and hear: API tokens, site and publishable keys, webhooks."""
