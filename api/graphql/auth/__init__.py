"""Signing in: SMS codes, tokens, sessions."""
