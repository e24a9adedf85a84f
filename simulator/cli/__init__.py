"""Command-line interface (``python run.py`` / ``axis-sim``)."""
