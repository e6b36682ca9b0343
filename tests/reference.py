"""Where the reference data from others lives: ``../shared/data`` beside the checkout (see its README), or the folder
named by ``GASOPS_SHARED_DATA`` when the checkout sits elsewhere (a CI clone in a temporary folder)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SHARED_DATA", "shared_data"]

SHARED_DATA = Path(os.environ.get("GASOPS_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


def shared_data(*parts: str) -> Path:
    """The path of a reference file or folder; a missing one fails with where it was looked for and how to point
    the tests at it (never a skip: the tests that read it are the point)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"reference data {path} not found: the tests read ../shared/data beside the checkout; "
            "set GASOPS_SHARED_DATA to the folder that holds it"
        )
    return path
