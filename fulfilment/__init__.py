"""Campaigns, orders, cutoff, purchasing, receiving, sorting, routing, delivery
and pickup. May import leaders/ and the kernel; never api/."""
