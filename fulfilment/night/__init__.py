"""The night runs itself: after each warehouse's cutoff, the schedule starts
shortage allocation and sorting once receiving is closed (or at the latest
time), then a draft route plan at the planning time, each step once per
warehouse and delivery date, late steps caught up in order."""
