"""HTTP plumbing shared by the admin and the API: middleware, client address,
strict query parameters and pagination."""
