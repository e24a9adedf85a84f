"""Analysis layer: summaries, comparisons, sensitivity, discovery, explanations."""
