"""Pickup points (自提点): customers bound to them by share code, and the
helpers (帮手) a leader asks to hand goods out."""
