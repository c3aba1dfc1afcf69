"""``coop.compile``: ahead-of-time compilation of a kernel using coop, with the CUB code in.

``numba.cuda.compile`` returns only the kernel's own code (the shims it calls are separate
modules that numba-cuda links at launch), so its output alone lacks the CUB code. This
compiles the kernel and its shims for an explicit compute capability and block shape, with
no GPU, and links them (nvJitLink) into one cubin or PTX module; ``"ltoir"`` returns the
modules to link, the kernel's first.
"""

from __future__ import annotations

from coop._errors import CoopError
from coop._launch import launch_shape

_OUTPUTS = ("cubin", "ptx", "ltoir")


def compile(kernel, signature, *, cc=(9, 0), block, output="cubin"):  # noqa: A001 (numba-cuda's name)
    """Compile ``kernel`` (a Python function or ``@cuda.jit`` dispatcher) for argument types
    ``signature`` (a tuple of Numba types; ``numba.types.literal(n)`` and ``coop.shaped``
    state values and shapes the kernel compiles for), compute capability ``cc`` and block
    shape ``block``. Returns the linked cubin (bytes), PTX (str), or for ``"ltoir"`` the list
    of LTOIR modules (kernel first) to link yourself. The kernel's entry is its mangled name
    in the module (``cuda.core``: ``ObjectCode.from_cubin(cubin).get_kernel(name)``; the
    names are listed by ``coop.kernel_names(cubin)``)."""
    from cub_bindings.inspect import build_kernel

    if output not in _OUTPUTS:
        raise CoopError(f"coop.compile: argument `output`: must be one of {', '.join(map(repr, _OUTPUTS))}, "
                        f"got {output!r}")
    if not (isinstance(cc, tuple) and len(cc) == 2 and all(isinstance(v, int) for v in cc)):
        raise CoopError(f"coop.compile: argument `cc`: a compute capability (major, minor), e.g. (9, 0); got {cc!r}")
    if isinstance(signature, (list, tuple)):
        argtypes = tuple(signature)
    else:
        raise CoopError("coop.compile: argument `signature`: a tuple of Numba argument types, e.g. "
                        "(numba.types.int32[::1], numba.types.int32[::1])")
    with launch_shape(block=block):
        b = build_kernel(kernel, argtypes, cc=cc)
    if b.dynamic_shared_bytes:
        raise CoopError(f"coop.compile: the kernel's calls need {b.plan.size} bytes of shared memory for their "
                        f"TempStorage ({b.plan.describe()}), with its other static shared memory over the 48 KB of "
                        "static shared memory, so it is planned in dynamic shared memory, which only a launch through "
                        "numba sizes and opts in to\n  valid: fewer items per thread or threads, or one "
                        "coop.TempStorage() shared by the calls, for a kernel to compile ahead of time")
    if output == "cubin":
        return b.cubin
    if output == "ptx":
        return b.ptx
    return [b.kernel_ltoir, *[bytes(s.data) for s in b.shims]]


def kernel_names(data: bytes) -> list[str]:
    """The kernel entry points of a cubin (mangled names), read from its ELF section names
    (``.text.<kernel>``), so no GPU is needed."""
    import struct

    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise CoopError("coop.kernel_names: not a 64-bit ELF cubin")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab_off = sections[shstrndx][4]

    def name(off):
        end = data.index(b"\0", strtab_off + off)
        return data[strtab_off + off:end].decode()

    names = [name(s[0]) for s in sections]
    return sorted(n[len(".text."):] for n in names if n.startswith(".text.") and not n.startswith(".text.$"))
