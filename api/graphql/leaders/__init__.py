"""GraphQL of leaders.applications and leaders.points: its types, queries and mutations."""
