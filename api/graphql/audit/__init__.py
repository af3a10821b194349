"""The audit log over GraphQL: every staff mutation recorded, listed for operators."""
