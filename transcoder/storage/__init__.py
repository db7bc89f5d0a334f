"""Storage: the shape of every object key, the storage classes and the headers
stored objects carry."""
