"""The GraphQL API: the schema and its plumbing here, one subpackage per room
of the domain (types, queries, mutations), mirroring ``fulfilment/`` and
``leaders/``."""
