"""Progress notes on stderr for the slow steps (a release download, a header scan): one line
each, ``bindgen: ...``, so stdout keeps only the command's result (a table or JSON)."""

from __future__ import annotations

import sys


def note(message: str) -> None:
    print(f"bindgen: {message}", file=sys.stderr, flush=True)
