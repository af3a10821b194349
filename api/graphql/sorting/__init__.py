"""GraphQL of fulfilment.sorting: its types, queries and mutations."""
