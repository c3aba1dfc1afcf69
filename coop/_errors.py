"""Compile-time errors of the facade: one message naming the primitive, the argument,
the kernel's source line and what would be valid.

``CoopError`` is deliberately not a Numba error: Numba lets other exceptions raised while
typing a call propagate unchanged, so the user sees this message, not Numba's list of
"candidate implementations".
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading


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


def retyping_launch() -> bool:
    """Whether the compile in progress is a kernel launch's (numba-cuda's dispatcher compiling
    for arguments), which can compile the kernel again with an argument typed as a literal;
    ``cuda.compile``, ``kernel.compile(sig)`` and ``build_kernel`` cannot."""
    from numba.cuda.dispatcher import CUDADispatcher

    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_name == "_compile_for_args" and isinstance(f.f_locals.get("self"), CUDADispatcher):
            return True
        f = f.f_back
    return False


def call_site():
    """(loc, typeinfer) of the call Numba is typing right now, or (None, None)."""
    con, typeinfer = current_call()
    return (con.loc if con is not None else None), typeinfer


_simulated = threading.local()  # the CUDA simulator's call being run by this thread


@contextlib.contextmanager
def simulated_call(site: str):
    """Errors raised inside name ``site`` (``File "k.py", line 12``): the simulator runs the
    user's line itself, with no compiler location to read."""
    previous = getattr(_simulated, "site", None)
    _simulated.site = site
    try:
        yield
    finally:
        _simulated.site = previous


def where() -> str:
    site = getattr(_simulated, "site", None)
    if site is not None:
        return "\n" + site
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


# --------------------------------------------------------------------------- coop in a CPU function


def _cpu_site() -> str:
    """The line Numba's CPU type inference is typing now (``numba.njit``), or ""."""
    f = sys._getframe(1)
    while f is not None:
        slf = f.f_locals.get("self")
        loc = getattr(slf, "loc", None)
        if loc is not None and type(slf).__module__ == "numba.core.typeinfer":
            try:
                return "\n" + loc.strformat().rstrip()
            except Exception:
                return f"\nFile \"{loc.filename}\", line {loc.line}"
        f = f.f_back
    return ""


def _refuse_on_cpu():
    """``coop.local.array(...)`` in a ``numba.njit`` (CPU) function: one CoopError saying coop
    runs in CUDA kernels, not Numba's "Unknown attribute 'array' of type Module(coop.local)".

    An attribute template for modules, in Numba's CPU registry (numba-cuda installs only
    third-party keys from it, and this key is Numba's own ``types.Module``): attributes Numba
    resolves (submodules, constants) resolve as before."""
    try:
        from numba.core import types as core_types
        from numba.core.typing.templates import AttributeTemplate, infer_getattr
    except ImportError:  # numba-cuda without Numba's CPU target
        return

    @infer_getattr
    class _CoopOnCpu(AttributeTemplate):
        key = core_types.Module

        def generic_resolve(self, mod, attr):
            name = getattr(mod.pymod, "__name__", "")
            if name != "coop" and not name.startswith("coop."):
                return None
            ty = self.context.resolve_module_constants(mod, attr)
            if ty is not None:
                return ty
            raise CoopError(f"{name}.{attr}: coop runs only inside CUDA kernels and device functions (@cuda.jit); "
                            f"this function is compiled for the CPU by numba.njit\n  valid: decorate the function "
                            f"with @cuda.jit (a kernel) or @cuda.jit(device=True) (called from one){_cpu_site()}")


_refuse_on_cpu()
