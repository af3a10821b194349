"""After-sale (售后): refunds of collected goods inside a window, and the
supplier chargebacks they cause.
"""
