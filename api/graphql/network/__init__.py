"""The two-tier network in the API: grid warehouses and the points they serve."""
