"""GraphQL of fulfilment.orders: its types, queries and mutations."""
