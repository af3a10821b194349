"""Orders: placing, paying, cancelling, expiring, and reading them."""
