"""The one error type the scenario layer raises for bad input."""

from __future__ import annotations


class ScenarioError(Exception):
    """Bad scenario input, reported as ``FILE:LINE: path: message``."""

    def __init__(self, file: str, line: int | None, path: str, message: str):
        self.file = str(file)
        self.line = line
        self.path = path
        self.message = message
        super().__init__(self.format())

    def format(self) -> str:
        where = f"{self.file}:{self.line if self.line is not None else 1}"
        return f"{where}: {self.path or '(top level)'}: {self.message}"
