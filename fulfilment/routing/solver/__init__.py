"""The routing search itself, free of the database: the problem, distances,
schedules, and the OR-Tools and PyVRP searches side by side.
"""
