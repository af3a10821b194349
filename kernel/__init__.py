"""The kernel: database, settings, money, clock, identity, geodesy and jobs.

Everything above (leaders/, fulfilment/, api/) may import from here; the kernel
imports nothing of theirs.
"""
