"""What a kernel is compiled for: the launch's block shape and argument values.

* Block shape: read from the launch being compiled (``numba.cuda.launchconfig``); the
  kernel is then marked launch-config sensitive, so numba-cuda compiles (and caches) one
  variant per launch configuration and never reuses a stale one. coop keys those variants
  on the block shape alone (``_block_key``: the grid and the dynamic shared memory never
  change what coop compiles), so a new grid size reuses the kernel; if anything else marks
  the kernel launch-config sensitive, numba-cuda's whole-configuration key is used again.
  Device functions are compiled once per argument types by numba-cuda; one that inferred
  its block shape gets one variant per block shape instead (see ``_key_device_overloads``).
* Argument values: a kernel argument used as an array length (``coop.local.array(n, ...)``)
  is typed as a literal through Numba's own ``ForceLiteralArg`` re-dispatch, so each value
  compiles its own kernel. ``_literal_dispatch`` spares relaunches the failed typing pass,
  and files each kernel in a table per argument value (``_Routes``) that numba-cuda's
  C-level lookup searches, so a relaunch costs what a plain kernel's does.
* Argument shapes: an array argument whose shape is used as a length
  (``coop.shared.array(d_out.shape, ...)``) is typed as ``_shapes.ShapedArray`` (the shape
  in the type) through ``_shapes.ShapeRequest``, which ``_literal_dispatch`` handles the
  same way: one kernel per shape, positions remembered (see ``coop/_shapes.py``).
* ``@cuda.jit(cache=True)``: the positions and the block keying are written next to
  numba-cuda's cache index (``<function>.coop``), so a new process types the arguments
  as literals / shaped straight away and finds the cached kernel (the CUB half is cached
  by ``cub_bindings._runtime.kernel_cache``).
* Without a launch (ahead-of-time ``cuda.compile``, ``kernel.compile(sig)``, a machine
  with no GPU) the shape is stated with ``coop.launch_shape(block=...)``, argument values
  with ``numba.types.literal(value)`` and argument shapes with ``coop.shaped(type, shape)``
  in the signature.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from operator import itemgetter
from types import MethodType

import numpy as np

from numba.core.typing import signature
from numba.cuda import types
from numba.cuda.launchconfig import current_launch_config

from cub_bindings.extending import ENABLE_CUDASIM

from coop._errors import CoopError, without_compiler_frames
from coop._shapes import ShapedArray, ShapeRequest, shape_of_value
from coop._traits import KernelTraits, KernelTraitsType

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
        _mark_block_sensitive(cfg)
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


# --------------------------------------------------------------------------- launch-config keys


def _block_key(launch_config):
    """The launch-config key of a kernel coop made launch-config sensitive: its block shape.

    numba-cuda 0.30 keys launch-config specializations (and their disk-cache entries) on
    ``(grid, block, dynamic shared memory)`` (``CUDADispatcher._launch_config_key``, with no
    public hook); coop's specialization reads only the block shape, so it is installed as
    the launched dispatcher's own ``_launch_config_key``."""
    return ("block", launch_config.blockdim)


def _mark_block_sensitive(cfg):
    """The compile in progress depends on ``cfg``'s block shape: mark it launch-config
    sensitive, and key the launched dispatcher's variants on the block shape alone unless
    something else already made them depend on the whole launch configuration."""
    cfg._coop_block_sensitive = True  # read by numba-cuda through _is_kernel_launch_config_sensitive
    disp = cfg.dispatcher
    d = disp.__dict__
    if ("_launch_config_key" not in d and not d.get("_coop_grid_keyed") and not cfg._kernel_launch_config_sensitive
            and disp._launch_config_default_key is None):
        disp._launch_config_key = _block_key


def _grid_keyed(disp):
    """Something besides coop marked ``disp``'s compile launch-config sensitive (it may read
    the grid): numba-cuda's whole-configuration key from now on. Variants keyed by block
    shape are never selected again (no key of the other kind equals theirs)."""
    if not disp.__dict__.get("_coop_grid_keyed"):
        disp.__dict__.pop("_launch_config_key", None)
        disp._coop_grid_keyed = True


def _is_kernel_launch_config_sensitive(self):
    """``_LaunchConfiguration._is_kernel_launch_config_sensitive``: numba-cuda's flag, or coop's."""
    return bool(self._kernel_launch_config_sensitive) or bool(self.__dict__.get("_coop_block_sensitive"))


# --------------------------------------------------------------------------- per-value tables


def _table_base():
    """numba-cuda's C-level type dispatch, the base of its dispatchers (``object`` under the
    simulator, which has none and never builds a table)."""
    if ENABLE_CUDASIM:
        return object
    from numba.cuda.cext import _dispatcher

    return _dispatcher.Dispatcher


class _Table(_table_base()):
    """One dispatcher's kernels for one tuple of argument values (see ``_Routes``).

    Only numba-cuda's C-level lookup by argument types, not a whole ``CUDADispatcher``
    (building one took most of a cached kernel's first-launch overhead: two
    ``inspect.signature`` calls, a compiler, a cache object). A launch it finds a kernel for
    is launched as ``CUDADispatcher.call`` launches; a miss (the same values, other argument
    types) is compiled by the owner, which files the kernel here.
    """

    def __init__(self, owner):
        init = owner.__dict__.get("_coop_table_init")
        if init is None:
            from numba.cuda.dispatcher import OmittedArg

            params = tuple(owner._compiler.pysig.parameters.values())
            init = owner._coop_table_init = (
                len(params), False, tuple(p.name for p in params),
                tuple(OmittedArg(v) for v in owner.py_func.__defaults__ or ()),
                not owner.targetoptions.get("nopython", False),
                bool(params) and params[-1].kind == params[-1].VAR_POSITIONAL, False)
        super().__init__(owner._tm.get_pointer(), *init)
        self.owner = owner
        self.sigs = {}  # argument type codes -> what the table launches for them

    def typeof_pyval(self, val):  # the C-level lookup's fallback for values it cannot type
        return self.owner.typeof_pyval(val)

    def _compile_for_args(self, *args, **kws):  # the C-level lookup's miss
        return self.owner._compile_for_args(*args, **kws)

    def launch(self, args, launch_config):
        """``CUDADispatcher.call`` for a dispatcher already selected by launch configuration:
        its launch steps without the selection and bookkeeping a table has no use for (calling
        numba-cuda's own ``call`` on a table measured ~0.3 us more per launch)."""
        prev = launch_config._push_args(args)
        try:
            kernel = self._cuda_call(*args, **{_LAUNCH_CONFIG_KW: launch_config})
            for callback in launch_config.pre_launch_callbacks:
                callback(kernel, launch_config)
            kernel.launch(args, launch_config.griddim, launch_config.blockdim, launch_config.stream,
                          launch_config.sharedmem)
        finally:
            launch_config._pop_args(prev)


_LAUNCH_CONFIG_KW = "__numba_cuda_launch_config__"  # numba-cuda's keyword for the launch configuration


class _Routes:
    """One dispatcher's kernels for literal / shaped arguments, by the arguments' values.

    numba-cuda's C-level lookup finds a kernel by the argument types of a launch's values;
    a kernel typed with ``Literal[int](4)`` is never found that way, so each relaunch went
    through the Python-level re-typing (``_compile_for_args``). Here each tuple of values
    (literal arguments' values, shaped arguments' shapes) gets a table (``_Table``): that
    lookup alone, holding the kernels under the arguments' plain types. Values that compare
    equal (4, 4.0, np.int32(4)) share a table but differ in plain type, and the plain type
    with the value decides the kernel. A table holds only kernels for its own values: its
    misses are compiled by the owner. New positions make a new ``_Routes`` (the old tables
    are dropped).
    """

    __slots__ = ("literal", "shaped", "tables", "key")

    def __init__(self, literal: tuple, shaped: tuple):
        self.literal, self.shaped, self.tables = literal, shaped, {}
        if not shaped:  # the common case, kept cheap: the value(s) themselves
            self.key = itemgetter(*literal)
        else:
            self.key = self._key

    def _key(self, args):
        return (tuple([args[i] for i in self.literal]), tuple([shape_of_value(args[i]) for i in self.shaped]))


def _positions(disp) -> tuple[tuple, tuple]:
    d = disp.__dict__
    return tuple(sorted(d.get("_coop_literal_positions", ()))), tuple(sorted(d.get("_coop_shape_positions", ())))


def _register(owner, args, tys, kernel, cfg):
    """File ``kernel``, compiled or found by ``owner`` for the launch values ``args`` (of
    types ``tys``), in the table for those values, and route the launched dispatcher's calls
    through the tables. Returns what launches ``args``: what the table holds for them
    (``_launcher``), or ``kernel`` when there is no table."""
    literal, shaped = _positions(owner)
    if not (literal or shaped):
        return kernel
    routes = owner.__dict__.get("_coop_routes")
    if routes is None or (routes.literal, routes.shaped) != (literal, shaped):
        routes = owner._coop_routes = _Routes(literal, shaped)
    try:
        key = routes.key(args)
        table = routes.tables.get(key)
    except (TypeError, IndexError):  # an unhashable value: no table, the Python path stays
        return kernel
    if table is None:
        table = routes.tables[key] = _Table(owner)
    sig = tuple(t._code for t in tys)
    launcher = table.sigs.get(sig)
    if launcher is None:
        launcher = table.sigs[sig] = _launcher(kernel)  # the C-level table holds no reference
        table._insert(list(sig), launcher, cuda=True)
    root = cfg.dispatcher
    if "call" not in root.__dict__:
        root.call = MethodType(_routed_call, root)
    return launcher


def _launcher(kernel):
    """What a table launches for ``kernel``: the kernel itself, or (when its arguments need
    no conversion but the literal / shaped types' plain ones) a twin typed with the plain
    types and without coop's argument extension, which would run for every argument of
    every launch. A table is found by the values, so the twin is only launched with the
    values (literals, shapes) the kernel was compiled for. It shares the kernel's code
    library (its cubin, its shared-memory plan)."""
    if not any(e is _LITERAL_ARGS for e in kernel.extensions):
        return kernel
    tys = kernel.signature.args
    if any(_LITERAL_ARGS.passes_nothing(t) for t in tys):  # a kernel-traits argument: the extension's job
        return kernel
    twin = object.__new__(type(kernel))
    twin.__dict__.update(kernel.__dict__)
    twin.signature = signature(kernel.signature.return_type, *[_LITERAL_ARGS.plain(t) for t in tys])
    twin.extensions = [e for e in kernel.extensions if e is not _LITERAL_ARGS]
    twin._coop_twin_of = kernel
    return twin


def _routed_call(self, args, launch_config):
    """``CUDADispatcher.call`` of a kernel with literal / shaped arguments: the dispatcher of
    the launch configuration, then the table of the values, then numba-cuda's own call."""
    owner = self._select_launch_config_dispatcher(launch_config)
    routes = owner.__dict__.get("_coop_routes")
    if routes is not None:
        try:
            table = routes.tables.get(routes.key(args))
        except (TypeError, IndexError):
            table = None
        if table is not None:
            return table.launch(args, launch_config)
    return _base_call(owner, args, launch_config)


def _base_call(disp, args, launch_config):  # numba-cuda's CUDADispatcher.call, bound at import
    raise NotImplementedError


# --------------------------------------------------------------------------- disk cache (cache=True)


def _sidecar_path(disp):
    """Where the side file of ``disp`` (a ``cache=True`` kernel) lives, or None: beside
    numba-cuda's cache index, ``<function>.coop`` for its ``<function>.nbi``."""
    index = getattr(getattr(disp._cache, "_cache_file", None), "_index_path", None)  # a NullCache has none
    return index[:-len(".nbi")] + ".coop" if isinstance(index, str) and index.endswith(".nbi") else None


def _code_id(disp) -> str:
    """The kernel's source as numba-cuda's cache index sees it: the source file's stamp
    (modification time, size) numba-cuda took when caching was enabled, which its index is
    checked against. Any edit of the file changes it. Kernels of one function (closures made
    with other values) share the side file: their positions add up, which only makes a kernel
    compile per value where it need not."""
    cid = disp.__dict__.get("_coop_code_id")
    if cid is None:
        mtime, size = disp._cache._cache_file._source_stamp
        cid = disp._coop_code_id = f"{float(mtime).hex()}:{size}"
    return cid


def format_sidecar(data: dict) -> str:
    """The side file's one line: ``<code id> <literal positions> <shaped positions> <block>``
    (positions comma-separated, ``-`` for none; block ``1`` when launches are keyed on the
    block shape). A line, not JSON: a cached kernel's first launch reads it, and parsing JSON
    the first time in a process costs more than the rest of the read."""
    def positions(p):
        return ",".join(map(str, p)) or "-"

    return f"{data['code']} {positions(data['literal'])} {positions(data['shape'])} {int(bool(data['block']))}\n"


def parse_sidecar(text: str) -> dict:
    """``format_sidecar``'s line as its dict; ValueError when it is not one."""
    code, literal, shape, block = text.split()
    def positions(p):
        return [] if p == "-" else [int(x) for x in p.split(",")]

    if block not in ("0", "1"):
        raise ValueError(f"not a side-file line: {text!r}")
    return {"code": code, "literal": positions(literal), "shape": positions(shape), "block": block == "1"}


def _read_sidecar(disp, cfg):
    """Take the positions and the block keying a previous process wrote for this kernel."""
    disp._coop_sidecar = None
    path = _sidecar_path(disp)
    if path is None:
        return
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            text = os.read(fd, 4096).decode()
        finally:
            os.close(fd)
        data = parse_sidecar(text)
    except (OSError, ValueError):
        return
    if data["code"] != _code_id(disp):
        return
    literal, shaped = frozenset(data["literal"]), frozenset(data["shape"])
    disp._coop_sidecar = data
    d = disp.__dict__
    if literal - d.get("_coop_literal_positions", frozenset()):
        disp._coop_literal_positions = d.get("_coop_literal_positions", frozenset()) | literal
    if shaped - d.get("_coop_shape_positions", frozenset()):
        disp._coop_shape_positions = d.get("_coop_shape_positions", frozenset()) | shaped
    root = cfg.dispatcher if cfg is not None else disp
    r = root.__dict__
    if (data["block"] and "_launch_config_key" not in r and not r.get("_coop_grid_keyed")
            and root._launch_config_default_key is None):
        root._launch_config_key = _block_key


def _write_sidecar(disp, cfg):
    old = disp.__dict__.get("_coop_sidecar") or {}
    literal, shaped = _positions(disp)
    root = (cfg.dispatcher if cfg is not None else disp).__dict__
    block = True if "_launch_config_key" in root else False if root.get("_coop_grid_keyed") else old.get("block", False)
    fields = {"literal": sorted(set(old.get("literal", ())) | set(literal)),
              "shape": sorted(set(old.get("shape", ())) | set(shaped)),
              "block": block}
    if (all(old[k] == v for k, v in fields.items()) if old else not any(fields.values())):
        return  # nothing new (a plain kernel never has anything to write)
    path = _sidecar_path(disp)
    if path is None:
        return
    new = {"code": _code_id(disp), **fields}
    try:
        disp._cache._impl.locator.ensure_cache_path()
        tmp = f"{path}.tmp.{os.getpid()}.{threading.get_ident()}"
        with open(tmp, "w") as f:
            f.write(format_sidecar(new))
        os.replace(tmp, path)
    except OSError:
        return
    disp._coop_sidecar = new


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


def _literalize(argtypes: list, args, positions) -> None:
    """Type the integer values at ``positions`` as literals, in ``argtypes`` (in place)."""
    for i in positions:
        if i < len(args):
            a = args[i]
            if isinstance(a, (int, np.integer)) and not isinstance(a, bool):
                argtypes[i] = int_literal(int(a))


def int_literal(value: int):
    """``types.literal(value)`` for an int, the same interned type, without the typing
    context Numba's constructor builds to type the value (``Literal.literal_type`` makes a
    fresh ``typing.Context()`` per literal: 0.05-0.08 ms of a cached kernel's first launch on
    the H200 host, the first time in a process). Numba types an int of fewer than 32 bits as
    ``intp``; other values take Numba's own path."""
    if not -(1 << 31) < value < (1 << 31):
        return types.literal(value)
    lit = object.__new__(types.IntegerLiteral)
    lit._literal_type_cache = types.intp  # what literal_type would resolve the value to
    types.IntegerLiteral.__init__(lit, value)
    return types.IntegerLiteral._intern(lit)  # what constructing the type does after __init__


def _shape_args(argtypes: list, args, positions) -> None:
    """Type the arrays at ``positions`` as ``ShapedArray``s of their shapes, in ``argtypes`` (in place)."""
    for i in positions:
        if i >= len(args) or isinstance(argtypes[i], ShapedArray):
            continue
        ty, shape = argtypes[i], shape_of_value(args[i])
        if isinstance(ty, types.Array) and shape is not None and len(shape) == ty.ndim:
            argtypes[i] = ShapedArray(ty, shape)


class _LiteralArgs:
    """A launch-argument extension: a literal-typed argument is passed as its plain type,
    a shaped array (after checking its shape) as the plain array, a kernel-traits object as nothing.

    It runs for every argument of every launch, so what to do with a type is worked out
    once per type object (``isinstance`` on Numba's ABC types costs about a microsecond)."""

    def __init__(self):
        self._by_type: dict = {}  # id(type) -> (type, plain type, static shape or None); keeps the type alive

    def _entry(self, ty):
        mro = type(ty).__mro__  # not isinstance: Numba's types are ABCs, slow to check the first time
        if ShapedArray in mro:
            entry = (ty, ty.plain, ty.static_shape)
        elif KernelTraitsType in mro:  # compile-time fields only: nothing to pass
            entry = (ty, types.Tuple(()), _NOTHING)
        else:
            entry = (ty, types.unliteral(ty) if types.Literal in mro else ty, None)
        self._by_type[id(ty)] = entry
        return entry

    def _lookup(self, ty):
        entry = self._by_type.get(id(ty))
        return entry if entry is not None and entry[0] is ty else self._entry(ty)

    def passes_nothing(self, ty) -> bool:
        """Whether a value of ``ty`` is passed as nothing (a kernel-traits object)."""
        return self._lookup(ty)[2] is _NOTHING

    def plain(self, ty):
        """The type a value of ``ty`` is passed as (not for kernel-traits types)."""
        return self._lookup(ty)[1]

    def prepare_args(self, ty, val, **kws):
        entry = self._lookup(ty)
        if entry[2] is _NOTHING:
            return entry[1], ()
        if entry[2] is not None:
            shape = shape_of_value(val)
            if shape is not None and shape != entry[2]:
                raise CoopError(f"an array of shape {shape} passed where the kernel was compiled for shape "
                                f"{entry[2]} (a kernel compiled per shape, launched with compilation disabled?)")
        return entry[1], val

    def __reduce__(self):  # pickled with cached kernels: the module's one instance
        return (_literal_args, ())


def _literal_args():
    return _LITERAL_ARGS


def _passes_traits(args) -> bool:
    return any(isinstance(a, KernelTraits) for a in args)


_LITERAL_ARGS = _LiteralArgs()
_NOTHING = object()  # a kernel-traits argument: passed as an empty tuple


def _literal_dispatch():
    """Teach numba-cuda's kernel dispatcher the literal re-dispatch its CPU counterpart has,
    coop's launch-config key, and the per-value tables.

    numba-cuda 0.30's ``CUDADispatcher._compile_for_args`` lets ``ForceLiteralArg`` escape
    (``numba.literally`` is not supported for kernels). This wrapper catches it, types the
    requested arguments as literals and compiles again; it remembers the positions, so a
    later compile types them as literals straight away (no failed typing pass), and files
    the kernel in its values' table (``_Routes``) so a relaunch never comes back here.
    Nothing changes for kernels that never request literals or read the block shape.
    """
    from numba.cuda.core.errors import CompilerError, ForceLiteralArg
    from numba.cuda.dispatcher import CUDADispatcher, _LaunchConfiguration

    if getattr(CUDADispatcher, "_coop_literal_dispatch", False):
        return
    global _base_call
    _base_call = CUDADispatcher.call

    def _compile_for_args(self, *args, **kws):
        try:
            return _compile_and_register(self, args, kws)
        except CoopError as exc:
            raise without_compiler_frames(exc) from None

    def _compile_and_register(self, args, kws):
        cfg = current_launch_config()
        if "_coop_sidecar" not in self.__dict__:
            _read_sidecar(self, cfg)
        tys = [self.typeof_pyval(a) for a in args]  # once: the compile and the table use them
        kernel = _compile_with_requests(self, args, tys, kws)
        if cfg is not None:  # a launch: it launches what its values' table holds (the twin, if any)
            if cfg._kernel_launch_config_sensitive:
                _grid_keyed(cfg.dispatcher)
            kernel = _register(self, args, tys, kernel, cfg)
        _write_sidecar(self, cfg)
        return kernel

    def _compile_with_requests(self, args, tys, kws):
        """Compile for the argument types ``tys`` of the values ``args`` (numba-cuda's
        ``_compile_for_args``, with the types already taken), the requested positions typed
        as literals / shaped arrays; a request made while typing adds its positions."""
        assert not kws  # as numba-cuda's: kernels take no keyword arguments
        positions = self.__dict__.get("_coop_literal_positions", frozenset())
        shaped = self.__dict__.get("_coop_shape_positions", frozenset())
        argtypes = list(tys)
        _literalize(argtypes, args, positions)
        _shape_args(argtypes, args, shaped)
        while True:
            try:
                kernel = self.compile(tuple(argtypes))
                if (positions or shaped or _passes_traits(args)) and not any(e is _LITERAL_ARGS
                                                                          for e in kernel.extensions):
                    kernel.extensions = [*kernel.extensions, _LITERAL_ARGS]
                return kernel
            except ForceLiteralArg as exc:
                requested = set(exc.requested_args)
                if any(isinstance(argtypes[i], types.Literal) for i in requested) or not requested:
                    raise CompilerError(f"repeated literal typing request for arguments {sorted(requested)}") from exc
                positions = positions | requested
                self._coop_literal_positions = positions
                _literalize(argtypes, args, requested)
            except ShapeRequest as exc:
                requested = exc.positions
                if exc.func is not self.py_func or not requested or any(
                        i >= len(argtypes) or isinstance(argtypes[i], ShapedArray) for i in requested):
                    raise  # not this kernel's arguments, or already shaped: the message is the error
                _shape_args(argtypes, args, requested)
                if not all(isinstance(argtypes[i], ShapedArray) for i in requested):
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

    full_key = CUDADispatcher._launch_config_key
    original_cache_key = CUDADispatcher._cache_launch_config_key

    def _cache_launch_config_key(self, launch_config):
        # a compile something besides coop marked: its disk-cache entry is keyed on the
        # whole configuration, whatever key the dispatcher routes launches by
        if launch_config is not None and launch_config._kernel_launch_config_sensitive:
            return full_key(launch_config)
        return original_cache_key(self, launch_config)

    original_recompile = CUDADispatcher.recompile

    def recompile(self):
        # the tables hold the kernels being replaced
        for disp in (self, *self._launch_config_specializations.values()):
            disp.__dict__.pop("_coop_routes", None)
        return original_recompile(self)

    CUDADispatcher._compile_for_args = _compile_for_args
    CUDADispatcher.recompile = recompile
    original_lc = CUDADispatcher._get_launch_config_specialization
    CUDADispatcher._get_launch_config_specialization = _get_launch_config_specialization
    CUDADispatcher._cache_launch_config_key = _cache_launch_config_key
    _LaunchConfiguration._is_kernel_launch_config_sensitive = _is_kernel_launch_config_sensitive
    CUDADispatcher._coop_literal_dispatch = True

if not ENABLE_CUDASIM:  # the simulator compiles nothing: no dispatcher to wrap
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
            if cfg is not None and cfg._is_kernel_launch_config_sensitive():
                x, y, z = normalize_dims(cfg.blockdim)
                launch_bounds = x * y * z
        return original(kernel, launch_bounds)

    set_launch_bounds._coop = True
    nvvm.set_launch_bounds = set_launch_bounds


if not ENABLE_CUDASIM:
    _launch_bounds_from_the_launch()

