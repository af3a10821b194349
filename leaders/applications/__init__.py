"""Becoming a leader (团长): applications with a pickup point, and the
operator's decisions on them."""
