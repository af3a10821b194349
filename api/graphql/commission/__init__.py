"""GraphQL of leaders.commission: its types, queries and mutations."""
