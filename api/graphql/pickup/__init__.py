"""GraphQL of fulfilment.pickup: its types, queries and mutations."""
