"""The network graph: layout (where nodes go), scene (what is drawn), items (how it is
painted) and the view that shows it."""
