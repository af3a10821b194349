"""What a route plan prints: route sheets (CSV rows and an A4 PDF) and the plan's map (SVG)."""
