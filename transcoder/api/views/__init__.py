"""The API's endpoints, one module per group of operations."""
