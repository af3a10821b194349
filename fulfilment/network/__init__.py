"""The two-tier network (中心仓 → 网格仓 → 自提点): which warehouses are grid
warehouses of which central one, and which pickup points each grid serves."""
