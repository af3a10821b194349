"""GraphQL of kernel.jobs: its types, queries and mutations."""
