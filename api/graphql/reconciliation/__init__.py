"""Daily reconciliation over GraphQL (operators): a date's result, running
it again, and its XLSX in the exports."""
