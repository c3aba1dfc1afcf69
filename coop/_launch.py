"""What a kernel is compiled for: the launch's block shape and argument values.

* Block shape: read from the launch being compiled (``numba.cuda.launchconfig``); the
  kernel is then marked launch-config sensitive, so numba-cuda compiles (and caches) one
  variant per (grid, block, shared memory) configuration and never reuses a stale one.
  Device functions are compiled once per argument types by numba-cuda; one that inferred
  its block shape gets one variant per block shape instead (see ``_key_device_overloads``).
* Argument values: a kernel argument used as an array length (``coop.local.array(n, ...)``)
  is typed as a literal through Numba's own ``ForceLiteralArg`` re-dispatch, so each value
  compiles its own kernel. ``_literal_dispatch`` spares relaunches the failed typing pass.
* Argument shapes: an array argument whose shape is used as a length
  (``coop.shared.array(d_out.shape, ...)``) is typed as ``_shapes.ShapedArray`` (the shape
  in the type) through ``_shapes.ShapeRequest``, which ``_literal_dispatch`` handles the
  same way: one kernel per shape, positions remembered (see ``coop/_shapes.py``).
* Without a launch (ahead-of-time ``cuda.compile``, ``kernel.compile(sig)``, a machine
  with no GPU) the shape is stated with ``coop.launch_shape(block=...)``, argument values
  with ``numba.types.literal(value)`` and argument shapes with ``coop.shaped(type, shape)``
  in the signature.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading

import numpy as np

from numba.cuda import types
from numba.cuda.launchconfig import current_launch_config

from coop._errors import CoopError, without_compiler_frames
from coop._shapes import ShapedArray, ShapeRequest, shape_of_value

_STATED: contextvars.ContextVar = contextvars.ContextVar("coop_launch_shape", default=None)
_lock = threading.Lock()


# CUDA's limits on a thread block (every architecture numba-cuda supports)
MAX_BLOCK_DIMS = (1024, 1024, 64)
MAX_BLOCK_THREADS = 1024


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def normalize_dims(block) -> tuple[int, int, int]:
    """``block`` (an int or 1 to 3 ints; NumPy integers too) as (x, y, z), within CUDA's
    limits; a ``CoopError`` (both a TypeError and a ValueError) otherwise."""
    dims = (block,) if _is_int(block) else block
    if not isinstance(dims, (tuple, list)) or not 1 <= len(dims) <= 3 or not all(_is_int(d) for d in dims):
        items = dims if isinstance(dims, (tuple, list)) else (dims,)
        hint = (" (block dimensions are ints, not floats or bools)"
                if any(isinstance(d, (bool, float, np.bool_, np.floating)) for d in items) else "")
        raise CoopError(f"a block shape is 1 to 3 positive integers, got {block!r}{hint}")
    dims = tuple(int(d) for d in dims)
    if any(d < 1 for d in dims):
        raise CoopError(f"a block shape is 1 to 3 positive integers, got {block!r}")
    dims += (1,) * (3 - len(dims))
    for axis, d, limit in zip("xyz", dims, MAX_BLOCK_DIMS):
        if d > limit:
            raise CoopError(f"block shape {block!r}: {axis} = {d} is over CUDA's limit of {limit} threads in {axis} "
                            f"(limits: x <= {MAX_BLOCK_DIMS[0]}, y <= {MAX_BLOCK_DIMS[1]}, z <= {MAX_BLOCK_DIMS[2]})")
    total = dims[0] * dims[1] * dims[2]
    if total > MAX_BLOCK_THREADS:
        raise CoopError(f"block shape {block!r}: {total} threads is over CUDA's limit of {MAX_BLOCK_THREADS} "
                        "threads per block")
    return dims


def launch_shape(block):
    """State the block shape for kernels compiled inside this ``with`` without a launch.

    ``with coop.launch_shape(block=(16, 8)): cuda.compile(kernel, sig, cc=(9, 0))``

    ``block`` is checked here, when called: 1 to 3 ints within CUDA's limits (x, y <= 1024,
    z <= 64, at most 1024 threads in all).
    """
    return _stated(normalize_dims(block))


@contextlib.contextmanager
def _stated(dims):
    token = _STATED.set(dims)
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


def _shape_args(self, args, positions):
    """``args`` with the array values at ``positions`` replaced by their ``ShapedArray`` types."""
    out = list(args)
    for i in positions:
        a = out[i]
        if isinstance(a, ShapedArray):
            continue
        ty, shape = self.typeof_pyval(a), shape_of_value(a)
        if isinstance(ty, types.Array) and shape is not None and len(shape) == ty.ndim:
            out[i] = ShapedArray(ty, shape)
    return tuple(out)


class _LiteralArgs:
    """A launch-argument extension: a literal-typed argument is passed as its plain type,
    a shaped array (after checking its shape) as the plain array."""

    def prepare_args(self, ty, val, **kws):
        if isinstance(ty, ShapedArray):
            shape = shape_of_value(val)
            if shape is not None and shape != ty.static_shape:
                raise CoopError(f"an array of shape {shape} passed where the kernel was compiled for shape "
                                f"{ty.static_shape} (a kernel compiled per shape, launched with compilation disabled?)")
            return ty.plain, val
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
        try:
            return _compile_with_requests(self, args, kws)
        except CoopError as exc:
            raise without_compiler_frames(exc) from None

    def _compile_with_requests(self, args, kws):
        positions = self.__dict__.get("_coop_literal_positions", frozenset())
        shaped = self.__dict__.get("_coop_shape_positions", frozenset())
        if positions:
            args = _literalize(args, positions)
        if shaped:
            args = _shape_args(self, args, shaped)
        while True:
            try:
                kernel = original(self, *args, **kws)
                if (positions or shaped) and not any(e is _LITERAL_ARGS for e in kernel.extensions):
                    kernel.extensions = [*kernel.extensions, _LITERAL_ARGS]
                return kernel
            except ForceLiteralArg as exc:
                requested = set(exc.requested_args)
                if any(isinstance(args[i], types.Literal) for i in requested) or not requested:
                    raise CompilerError(f"repeated literal typing request for arguments {sorted(requested)}") from exc
                positions = positions | requested
                self._coop_literal_positions = positions
                args = _literalize(args, requested)
            except ShapeRequest as exc:
                requested = exc.positions
                if exc.func is not self.py_func or not requested or any(
                        i >= len(args) or isinstance(args[i], ShapedArray) for i in requested):
                    raise  # not this kernel's arguments, or already shaped: the message is the error
                args = _shape_args(self, args, requested)
                if not all(isinstance(args[i], ShapedArray) for i in requested):
                    raise
                shaped = shaped | requested
                self._coop_shape_positions = shaped

    def _get_launch_config_specialization(self, key):
        # a kernel specialized per launch configuration is the same Python function: it
        # takes the same arguments as literals / shaped, with no failed typing pass
        disp = original_lc(self, key)
        for name in ("_coop_literal_positions", "_coop_shape_positions"):
            if name in self.__dict__ and name not in disp.__dict__:
                setattr(disp, name, self.__dict__[name])
        return disp

    CUDADispatcher._compile_for_args = _compile_for_args
    original_lc = getattr(CUDADispatcher, "_get_launch_config_specialization", None)
    if original_lc is not None:
        CUDADispatcher._get_launch_config_specialization = _get_launch_config_specialization
    CUDADispatcher._coop_literal_dispatch = True


_literal_dispatch()


def _launch_bounds_from_the_launch():
    """A kernel whose primitives took the block shape from its launch is compiled per launch
    configuration (numba-cuda's launch-config specialization), so its block size is exact:
    tell NVVM (``maxntid``), as a C++ author writes ``__launch_bounds__(threads)``. Without
    it NVVM may give register-hungry CUB code (radix and merge sorts, discontinuity at 1024
    threads) more registers than a block of that size can have, and the launch fails with
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES. A ``launch_bounds=`` given to ``cuda.jit`` wins.

    numba-cuda 0.30 applies launch bounds in one place (``nvvm.set_launch_bounds``, called for
    kernels only, while the launch's configuration is current); this wraps it.
    """
    from numba.cuda.cudadrv import nvvm

    if getattr(nvvm.set_launch_bounds, "_coop", False):
        return
    original = nvvm.set_launch_bounds

    def set_launch_bounds(kernel, launch_bounds):
        if launch_bounds is None:
            cfg = current_launch_config()
            if cfg is not None and getattr(cfg, "_kernel_launch_config_sensitive", False):
                x, y, z = normalize_dims(cfg.blockdim)
                launch_bounds = x * y * z
        return original(kernel, launch_bounds)

    set_launch_bounds._coop = True
    nvvm.set_launch_bounds = set_launch_bounds


_launch_bounds_from_the_launch()

