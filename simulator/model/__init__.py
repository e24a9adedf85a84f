"""Model layer: agents, decision rules, theatres, random streams."""
