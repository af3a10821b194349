"""Route planning (线路规划): the day's problem read from the database, the plans,
a dispatcher's edits, publishing, the fleet, the planning job, and the
documents drivers take along. The pure search lives in solver/.
"""
