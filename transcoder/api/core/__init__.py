"""The request machinery every API call passes: auth, errors, rate limits."""
