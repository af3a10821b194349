"""The edge: GraphQL schema, ASGI app, auth, DataLoaders and the CLI."""
