"""Leaders (团长) and their pickup points (自提点); later the commission ledger.

Never imports fulfilment/: fulfilment calls into here."""
