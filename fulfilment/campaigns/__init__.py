"""Campaigns (团购活动): warehouses and the points they serve, suppliers and
products, and the daily presale with its items.
"""
