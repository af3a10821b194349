"""GraphQL of fulfilment.after_sale: its types, queries and mutations."""
