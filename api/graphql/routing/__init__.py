"""GraphQL of fulfilment.routing: its types, queries and mutations."""
