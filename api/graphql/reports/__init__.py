"""Operators' reports (issue 22): ``report*`` queries over a range of
business dates with optional filters; ``fulfilment.reports`` computes them."""
