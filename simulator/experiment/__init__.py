"""Experiment layer: ensembles, designs, executors, the results store."""
