"""Compile-time errors of the facade: one message naming the primitive, the argument,
the kernel's source line and what would be valid.

``CoopError`` is deliberately not a Numba error: Numba lets other exceptions raised while
typing a call propagate unchanged, so the user sees this message, not Numba's list of
"candidate implementations".
"""

from __future__ import annotations

import os
import sys


class CoopError(TypeError, ValueError):
    """A misuse of a coop primitive, found while compiling a kernel or on the host.

    It is both a ``TypeError`` and a ``ValueError``, so code that catches either (as the
    earlier cuda.coop's users do for a bad dtype or a bad value) keeps working."""


def debugging() -> bool:
    """Full tracebacks: ``NUMBA_DEVELOPER_MODE=1`` or ``COOP_DEBUG=1``."""
    return any(os.environ.get(v, "0") not in ("", "0") for v in ("NUMBA_DEVELOPER_MODE", "COOP_DEBUG"))


def without_compiler_frames(exc: BaseException) -> BaseException:
    """``exc`` without the frames it gathered inside Numba's compiler (dozens of them), so a
    kernel launch shows the message, the kernel line it names and the user's launch line;
    kept whole when ``debugging()``."""
    return exc if debugging() else exc.with_traceback(None)


def current_call():
    """(CallConstraint, typeinfer) of the call Numba is typing right now, or (None, None).

    Numba's typing templates are not told where the call is or which variables its
    arguments are; the constraint being evaluated is on the Python stack
    (``CallConstraint.__call__(self, typeinfer)``).
    """
    from numba.cuda.core.typeinfer import CallConstraint

    f = sys._getframe(1)
    while f is not None:
        slf = f.f_locals.get("self")
        if isinstance(slf, CallConstraint):
            return slf, f.f_locals.get("typeinfer")
        f = f.f_back
    return None, None


def call_site():
    """(loc, typeinfer) of the call Numba is typing right now, or (None, None)."""
    con, typeinfer = current_call()
    return (con.loc if con is not None else None), typeinfer


def where() -> str:
    loc, _ = call_site()
    if loc is None:
        return ""
    try:
        text = loc.strformat().rstrip()
    except Exception:
        text = f"File \"{loc.filename}\", line {loc.line}"
    return "\n" + text


def fail(primitive: str, arg: str | None, message: str, valid: str | None = None):
    head = f"{primitive}: " + (f"argument `{arg}`: " if arg else "")
    tail = f"\n  valid: {valid}" if valid else ""
    raise CoopError(head + message + tail + where()) from None
