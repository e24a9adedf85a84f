"""The browser explorer (``run.py explore``)."""
