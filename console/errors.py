"""Error types shared by every layer.

Each error names what it is about (a file, a feature id, a peer) and what is wrong, so the CLI can print it as one
line and the GUI can show it in a message box without a traceback.
"""

from __future__ import annotations

__all__ = ["GasOpsError", "NetworkFileError", "UnknownFeatureError", "SchemaError"]


class GasOpsError(Exception):
    """Base class of every error GasOps Console reports to a user."""


class NetworkFileError(GasOpsError):
    """A network file cannot be read or written: names the file and the problem."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnknownFeatureError(GasOpsError, KeyError):
    """A feature id that the network does not contain."""

    def __init__(self, feature_id: str, where: str = "network") -> None:
        self.feature_id = feature_id
        super().__init__(f"unknown feature id {feature_id!r} in {where}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class SchemaError(GasOpsError):
    """Attribute values that do not fit a layer's schema (names the layer, column and offending feature ids)."""
