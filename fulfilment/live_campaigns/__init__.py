"""A campaign while it sells: its items' terms edited, an item withdrawn, the
whole campaign cancelled; the rules that depend on what was ordered."""
