"""Error tests mark the kernel line they expect a CoopError to point at with ``# <- error``."""

import inspect

MARK = "# <- error"


def line_of(fn, marker=MARK):
    """The source line of ``fn`` carrying ``marker`` (exactly one)."""
    lines, start = inspect.getsourcelines(fn)
    hits = [start + i for i, line in enumerate(lines) if marker in line]
    assert len(hits) == 1, f"mark exactly one line of {fn.__name__} with {marker!r}"
    return hits[0]
