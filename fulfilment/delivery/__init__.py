"""Delivery (配送): arrival and hand-over at a stop, and the leader signing for
it (签收) with missing or damaged units refunded.
"""
