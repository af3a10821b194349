"""GraphQL of kernel.outbox: the operator's view of webhook deliveries."""
