"""The model store: the catalog, installed files, installing them, resolving model ids."""
