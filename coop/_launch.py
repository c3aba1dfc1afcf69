"""What a kernel is compiled for: the launch's block shape and argument values.

* Block shape: read from the launch being compiled (``numba.cuda.launchconfig``); the
  kernel is then marked launch-config sensitive, so numba-cuda compiles (and caches) one
  variant per (grid, block, shared memory) configuration and never reuses a stale one.
  Device functions are compiled once per argument types by numba-cuda; one that inferred
  its block shape gets one variant per block shape instead (see ``_key_device_overloads``).
* Argument values: a kernel argument used as an array length (``coop.local.array(n, ...)``)
  is typed as a literal through Numba's own ``ForceLiteralArg`` re-dispatch, so each value
  compiles its own kernel. ``_literal_dispatch`` spares relaunches the failed typing pass.
* Without a launch (ahead-of-time ``cuda.compile``, ``kernel.compile(sig)``, a machine
  with no GPU) the shape is stated with ``coop.launch_shape(block=...)`` and argument values
  with ``numba.types.literal(value)`` in the signature.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading

import numpy as np

from numba.cuda import types
from numba.cuda.launchconfig import current_launch_config

_STATED: contextvars.ContextVar = contextvars.ContextVar("coop_launch_shape", default=None)
_lock = threading.Lock()


def normalize_dims(block) -> tuple[int, int, int]:
    if isinstance(block, int):
        block = (block,)
    dims = tuple(int(d) for d in block)
    if not 1 <= len(dims) <= 3 or any(d < 1 for d in dims):
        raise ValueError(f"a block shape is 1 to 3 positive integers, got {block!r}")
    return dims + (1,) * (3 - len(dims))


@contextlib.contextmanager
def launch_shape(block):
    """State the block shape for kernels compiled inside this ``with`` without a launch.

    ``with coop.launch_shape(block=(16, 8)): cuda.compile(kernel, sig, cc=(9, 0))``
    """
    token = _STATED.set(normalize_dims(block))
    try:
        yield
    finally:
        _STATED.reset(token)


def current_block_dims(typing_context=None) -> tuple[tuple[int, int, int], str] | None:
    """(block dims, source) for the compilation in progress, or None if unknown.

    Reading the launch configuration marks the kernel (and the device function being
    typed, if any) as depending on it.
    """
    cfg = current_launch_config()
    if cfg is not None:
        dims = normalize_dims(cfg.blockdim)
        cfg._kernel_launch_config_sensitive = True  # numba-cuda's LC-S flag for this compile
        if typing_context is not None:
            _key_device_overloads(typing_context, cfg.dispatcher)
        return dims, f"the launch's block shape {cfg.blockdim}"
    stated = _STATED.get()
    if stated is not None:
        if typing_context is not None:
            _key_device_overloads(typing_context, None)
        return stated, f"coop.launch_shape(block={stated})"
    return None


def launch_key():
    cfg = current_launch_config()
    if cfg is not None:
        return normalize_dims(cfg.blockdim)
    return _STATED.get()


# --------------------------------------------------------------------------- device functions


def _key_device_overloads(typing_context, kernel_dispatcher):
    """If a device function is being typed, make its compiled overloads per block shape."""
    stack = typing_context.callstack
    if len(stack) < 2:
        return
    top, parent = stack[0], stack[1]
    if kernel_dispatcher is not None and top.func_id.func is kernel_dispatcher.py_func:
        return
    disp = None
    for ty in parent.typeinfer.typevars.values():
        t = ty.type if hasattr(ty, "type") else None
        if isinstance(t, types.Dispatcher) and t.dispatcher.py_func is top.func_id.func:
            disp = t.dispatcher
            break
    if disp is None or getattr(disp, "_coop_keyed", False):
        return
    with _lock:
        if getattr(disp, "_coop_keyed", False):
            return
        original = disp.compile_device
        variants: dict = {}
        state = {"key": launch_key()}

        def compile_device(args, return_type=None):
            key = launch_key()
            if key != state["key"]:
                variants[state["key"]] = dict(disp.overloads)
                disp.overloads.clear()
                disp.overloads.update(variants.get(key, {}))
                state["key"] = key
            return original(args, return_type)

        disp.compile_device = compile_device
        # the overload being compiled now belongs to the current key; nothing compiled
        # before this point used a block shape
        disp._coop_keyed = True


# --------------------------------------------------------------------------- literal arguments


def request_literal(arg_index: int):
    """Ask for the kernel to be re-typed with the argument behind call argument
    ``arg_index`` as a literal (Numba's ``ForceLiteralArg``, handled by ``_literal_dispatch``)."""
    raise _ForceLiteral({arg_index}, fold_arguments=_flatten)


def _force_literal_class():
    """numba-cuda's ``ForceLiteralArg`` is caught by its type inference, while Numba's own
    function-type resolution (templates registered as ``types.Function``) only re-raises
    ``numba.core.errors.ForceLiteralArg``: raise one that is both."""
    from numba.cuda.core.errors import ForceLiteralArg as CudaForce

    try:
        from numba.core.errors import ForceLiteralArg as CoreForce
    except ImportError:
        return CudaForce
    if CoreForce is CudaForce or issubclass(CudaForce, CoreForce):
        return CudaForce

    class ForceLiteral(CudaForce, CoreForce):
        pass

    return ForceLiteral


_ForceLiteral = _force_literal_class()


def _flatten(args, kws):
    # call argument i is the i-th of the positional arguments followed by the keyword ones
    pairs = kws.items() if isinstance(kws, dict) else kws  # type inference passes (name, var) pairs
    return tuple(args) + tuple(v for _, v in pairs)


def _literalize(args, positions):
    return tuple(types.literal(int(a)) if i in positions and isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                 else a for i, a in enumerate(args))


class _LiteralArgs:
    """A launch-argument extension: a literal-typed argument is passed as its plain type."""

    def prepare_args(self, ty, val, **kws):
        return (types.unliteral(ty), val) if isinstance(ty, types.Literal) else (ty, val)


_LITERAL_ARGS = _LiteralArgs()


def _literal_dispatch():
    """Teach numba-cuda's kernel dispatcher the literal re-dispatch its CPU counterpart has.

    numba-cuda 0.30's ``CUDADispatcher._compile_for_args`` lets ``ForceLiteralArg`` escape
    (``numba.literally`` is not supported for kernels). This wrapper catches it, types the
    requested arguments as literals and compiles again; it remembers the positions, so a
    relaunch types them as literals straight away and finds its kernel (one per value)
    without a failed typing pass. Nothing changes for kernels that never request literals.
    """
    from numba.cuda.core.errors import CompilerError, ForceLiteralArg
    from numba.cuda.dispatcher import CUDADispatcher

    if getattr(CUDADispatcher, "_coop_literal_dispatch", False):
        return
    original = CUDADispatcher._compile_for_args

    def _compile_for_args(self, *args, **kws):
        positions = self.__dict__.get("_coop_literal_positions", frozenset())
        if positions:
            args = _literalize(args, positions)
        while True:
            try:
                kernel = original(self, *args, **kws)
                if positions and not any(e is _LITERAL_ARGS for e in kernel.extensions):
                    kernel.extensions = [*kernel.extensions, _LITERAL_ARGS]
                return kernel
            except ForceLiteralArg as exc:
                requested = set(exc.requested_args)
                if any(isinstance(args[i], types.Literal) for i in requested) or not requested:
                    raise CompilerError(f"repeated literal typing request for arguments {sorted(requested)}") from exc
                positions = positions | requested
                self._coop_literal_positions = positions
                args = _literalize(args, requested)

    CUDADispatcher._compile_for_args = _compile_for_args
    CUDADispatcher._coop_literal_dispatch = True


_literal_dispatch()
