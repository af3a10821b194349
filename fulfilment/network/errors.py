"""Error codes of the two-tier network (surfaced as UserError codes)."""

from enum import Enum


class NetworkErrorCode(Enum):
    # The central named for a grid is itself a grid (one central per grid,
    # two tiers, never three).
    NOT_A_CENTRAL = "NOT_A_CENTRAL"
    # A warehouse with grids of its own, or selling or serving points
    # itself, cannot become a grid.
    WAREHOUSE_IN_USE = "WAREHOUSE_IN_USE"
    # A point ordering from one central cannot go to another central's grid.
    POINT_OF_ANOTHER_CENTRAL = "POINT_OF_ANOTHER_CENTRAL"
    NOT_A_GRID = "NOT_A_GRID"
    INVALID_GRID_TERMS = "INVALID_GRID_TERMS"
    # A grid operator account names the grid it runs.
    GRID_REQUIRED = "GRID_REQUIRED"
    # The grid's handover: nothing came that day, or it was signed already.
    NOTHING_SENT = "NOTHING_SENT"
    GRID_ALREADY_SIGNED = "GRID_ALREADY_SIGNED"
