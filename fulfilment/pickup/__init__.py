"""Pickup (自提/核销): pickup codes, verifying a code at the counter, recording
what was collected (and accruing commission), and the point's day at the
counter.
"""
