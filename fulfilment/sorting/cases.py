"""Units of a product as whole supplier cases and loose units: the one rule
the pick lists, the labels and the grids' stage one count by (its SQL
spelling for a whole day at once is ``grids.sort_for_grids``)."""

from __future__ import annotations


class CasePacked:
    """Mixed into a line with ``units`` of a product packed ``case_pack`` a case."""

    units: int
    case_pack: int

    @property
    def cases(self) -> int:
        """Whole cases the sorter can hand over unopened."""
        return self.units // self.case_pack

    @property
    def loose(self) -> int:
        """Units left over after the whole cases."""
        return self.units % self.case_pack
