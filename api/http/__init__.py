"""HTTP around the GraphQL endpoint: the ASGI app, file downloads, the
payment provider's callback, and multi-worker serving."""
