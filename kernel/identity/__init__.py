"""Signing in: phones, SMS codes, sessions with refresh-token rotation."""
