"""GraphQL of fulfilment.delivery: its types, queries and mutations."""
