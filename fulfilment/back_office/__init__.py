"""The back office's reading of orders across the rooms (issue 22)."""
