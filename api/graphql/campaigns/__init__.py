"""GraphQL of fulfilment.campaigns: its types, queries and mutations."""
