"""Commission (佣金): rates and levels, recruiting, the accrual ledger,
settlement per period, payouts, and their jobs."""
