"""Operators' reports (issue 22, the back office): sales, leader ranking,
supplier fill, after-sale by product, refunds by reason, and the settlement
and payout registers. Each is a few set-based queries over a date range of
business dates with optional filters; ``exports`` turns them into sheets."""
