"""The request machinery every API call passes: auth, errors, limits, bodies."""
