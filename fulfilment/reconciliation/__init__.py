"""Daily reconciliation (对账): WeChat Pay's trade bill of a China date
matched, line by line, against the payments and refunds the platform booked.
A run per date keeps its totals and its mismatch lines; the newest finished
run of a date is that date's result."""
