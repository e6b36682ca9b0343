"""GasOps Console: a desktop GIS operations console for city gas utilities (城镇燃气)."""

__version__ = "0.1.0"
