"""GraphQL of fulfilment.purchasing: its types, queries and mutations."""
