"""A kernel's shared-memory plan: every TempStorage its calls need from cub-coop, in one buffer.

Lowering asks for storage (``emit_planned_storage``) instead of declaring ``__shared__``
memory per call: each request is a ``PlanUse`` of the shim set being lowered, and the call
gets its address from a getter function, ``cub_coop_plan__<set>_<n>()``. The getters of a
whole kernel (its own calls and those of every device function linked into it) are written
into the kernel's own shim set when it compiles, with one C++ struct holding every use:

* ``overlap`` uses (a block-wide call's CUB TempStorage, used for the length of the call):
  one slot per CUB TempStorage type. The slots sit side by side while the kernel's static
  shared memory stays within 48 KB; past that they overlap as one ``union`` (what a C++
  author writes), and then, when two or more of them hold real storage, each call first
  waits at a block barrier (``__syncthreads``): the previous call, of any primitive, may
  still be reading the memory (CUB: "a subsequent ``__syncthreads()`` ... if the temporary
  storage is to be reused or repurposed"). Calls of one TempStorage type share one slot
  either way, as CUB's private storage did; between two of them CUB's rule (a barrier
  before reuse) is the caller's, as in C++.
* ``own`` uses (a parent object's storage, which lives across its method calls; a warp
  primitive's storage, one TempStorage per logical warp): a slot each, never overlapped.
* ``bytes`` uses (a ``coop.TempStorage`` buffer of a given size and alignment): a slot each.

When the struct and the kernel's other static shared memory (Numba's ``shared.array``s,
CUB's private storage of raw calls) pass 48 KB, the struct moves to dynamic shared memory,
at the end of the launch's dynamic region (after whatever dynamic memory the kernel's own
``cuda.shared.array(0, ...)`` arrays use; their length is kept what the launch asked for),
and the launch adds its size (``launch.py``). The C++ decides from ``sizeof``; the host
reads the same decisions back from the compile (layout queries), so the two cannot differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: a kernel's static shared memory limit (every GPU; more only as dynamic shared memory)
STATIC_SHARED_BYTES = 48 * 1024

#: shared memory one block may opt in to, per architecture (CUDA C++ Programming Guide,
#: "Technical Specifications per Compute Capability"); unknown architectures are checked
#: at launch against the device's attribute only
OPT_IN_BYTES = {"sm_70": 96 * 1024, "sm_72": 96 * 1024, "sm_75": 64 * 1024, "sm_80": 163 * 1024,
                "sm_86": 99 * 1024, "sm_87": 163 * 1024, "sm_89": 99 * 1024, "sm_90": 227 * 1024,
                "sm_100": 227 * 1024, "sm_103": 227 * 1024, "sm_120": 99 * 1024}

#: the string numba-cuda's dynamic ``cuda.shared.array(0, ...)`` reads its size with
NUMBA_DYNAMIC_SIZE_ASM = "mov.u32 $0, %dynamic_smem_size;"


@dataclass
class PlanUse:
    """One request for shared memory from a call being lowered."""

    symbol: str  # the getter the call's code calls: ``void* symbol()``
    kind: str  # "overlap" | "own" | "bytes"
    cxx: str | None = None  # the CUB TempStorage type (overlap, own)
    count: int = 1  # own: TempStorage objects (one per logical warp)
    nbytes: int = 0  # bytes: size
    align: int = 16  # bytes: alignment
    headers: tuple = ()
    preamble: dict = field(default_factory=dict)
    what: str = ""  # the call, for messages: "coop.block.exchange"
    where: str = ""  # its source line, as Numba shows locations

    def state(self) -> dict:
        return dict(self.__dict__, headers=list(self.headers))

    @classmethod
    def from_state(cls, state: dict) -> "PlanUse":
        return cls(**dict(state, headers=tuple(state["headers"])))


@dataclass
class PlanInfo:
    """What the compiled plan decided (read back from the compile)."""

    size: int  # bytes of the plan struct
    align: int
    overlap: bool  # overlap uses share one union (with barriers when two hold storage)
    dynamic: bool  # the struct is in dynamic shared memory
    barriers: bool
    other_static: int  # other static shared memory of the kernel (bytes)
    uses: list  # (what, where, bytes or None) for messages

    @property
    def dynamic_bytes(self) -> int:
        """Bytes a launch adds to its own dynamic shared memory (the struct, plus room to align it)."""
        return self.size + self.align - 1 if self.dynamic else 0

    def state(self) -> dict:
        return dict(self.__dict__)

    def describe(self, n: int = 4) -> str:
        def at(where):
            line = where.strip().splitlines()[0] if where.strip() else ""
            return f" at {line.rstrip(':')}" if line else ""

        parts = [f"{what} ({nbytes} bytes){at(where)}" if nbytes else f"{what}{at(where)}"
                 for what, where, nbytes in self.uses[:n]]
        more = f" and {len(self.uses) - n} more" if len(self.uses) > n else ""
        return "; ".join(parts) + more


def _ident(tag: str) -> str:
    return f"cub_coop_plan_{tag}"


class Rendered:
    """C++ of a kernel's plan, and the types whose layouts tell the host what it decided."""

    def __init__(self, tag: str, uses: list, other_static: int, private_types: list):
        P = _ident(tag)
        self.tag, self.uses = tag, uses
        overlap_types = list(dict.fromkeys(u.cxx for u in uses if u.kind == "overlap"))
        slot = {t: f"u{i}" for i, t in enumerate(overlap_types)}
        rest, buffers = [], []
        for i, u in enumerate(uses):
            if u.kind == "own":
                rest.append(f"  {u.cxx} o{i}[{u.count}];")
            elif u.kind == "bytes":  # a struct, so a slot of its own keeps the alignment
                buffers.append(f"struct alignas({u.align}) {P}_b{i} {{ unsigned char b[{u.nbytes}]; }};")
                rest.append(f"  {P}_b{i} o{i};")
        members = "".join(f" {t} {slot[t]};" for t in overlap_types)
        other = " + ".join([f"{other_static}ull", *[f"sizeof({t})" for t in private_types]])
        real = " + ".join(f"int(sizeof({t}) > 1)" for t in overlap_types) or "0"

        def struct(name, agg):
            head = [f"struct {name} {{"]
            if overlap_types:
                head.append(f"  {agg} {{{members} }} u;")
            return "\n".join(head + rest + ["};"])

        lines = [f"// cub-coop: this kernel's shared-memory plan ({len(uses)} uses)", *buffers,
                 struct(f"{P}_apart", "struct"), struct(f"{P}_union", "union"),
                 f"constexpr unsigned long long {P}_other = {other};",
                 f"constexpr bool {P}_overlap = {'true' if overlap_types else 'false'} && "
                 f"sizeof({P}_apart) + {P}_other > {STATIC_SHARED_BYTES}ull;",
                 f"using {P}_t = ::cuda::std::conditional_t<{P}_overlap, {P}_union, {P}_apart>;",
                 f"constexpr bool {P}_dynamic = sizeof({P}_t) + {P}_other > {STATIC_SHARED_BYTES}ull;",
                 f"constexpr bool {P}_barrier = {P}_overlap && ({real}) > 1;",
                 # side by side in static shared memory: each slot a __shared__ variable of its own (as CUB's
                 # private storage is; ptxas allocates registers for separate symbols better than for one struct)
                 f"constexpr bool {P}_alone = !{P}_overlap && !{P}_dynamic;",
                 f"template <class T, int I> __device__ __forceinline__ T* {P}_slot() {{",
                 f"  __shared__ T {P}_own;\n  return &{P}_own;\n}}",
                 f"template <class P> __device__ __forceinline__ P* {P}_place(::cuda::std::false_type) {{",
                 f"  __shared__ P {P}_static;\n  return &{P}_static;\n}}",
                 f"template <class P> __device__ __forceinline__ P* {P}_place(::cuda::std::true_type) {{",
                 f"  extern __shared__ __align__(16) unsigned char {P}_dynamic_base[];",
                 "  unsigned int total;",
                 '  asm volatile("mov.u32 %0, %%dynamic_smem_size;" : "=r"(total));',
                 f"  size_t at = __cvta_generic_to_shared({P}_dynamic_base) + total - sizeof(P);",
                 "  return static_cast<P*>(__cvta_shared_to_generic(at & ~(size_t)(alignof(P) - 1)));\n}",
                 f"__device__ __forceinline__ {P}_t* {P}_get() {{",
                 f"  return {P}_place<{P}_t>(::cuda::std::integral_constant<bool, {P}_dynamic>{{}});\n}}"]
        done = set()
        for i, u in enumerate(uses):
            if u.symbol in done:  # one getter per block-wide TempStorage type
                continue
            done.add(u.symbol)
            lines.append(f'extern "C" __device__ void* {u.symbol}() {{  // {u.what}')
            if u.kind == "overlap":
                k = overlap_types.index(u.cxx)
                lines += [f"  if constexpr ({P}_alone) {{\n    return {P}_slot<{u.cxx}, {k}>();\n  }} else {{",
                          f"    if constexpr ({P}_barrier && sizeof({u.cxx}) > 1) __syncthreads();",
                          f"    return &{P}_get()->u.{slot[u.cxx]};\n  }}\n}}"]
            else:
                lines += [f"  if constexpr ({P}_alone) {{\n    return {P}_slot<decltype({P}_apart::o{i}), {1000 + i}>();",
                          f"  }} else {{\n    return &{P}_get()->o{i};\n  }}\n}}"]
            # the same address as a 32-bit shared-memory offset, for the kernel's own code
            lines.append(f'extern "C" __device__ unsigned int {u.symbol}_shared() {{\n'
                         f"  return (unsigned int)__cvta_generic_to_shared({u.symbol}());\n}}")
        self.code = "\n".join(lines)
        self.layout_types = [f"{P}_t", f"char[1 + {P}_overlap]", f"char[1 + {P}_dynamic]",
                             f"char[1 + {P}_barrier]", f"char[1 + {P}_other]"]
        self.use_types = overlap_types + [u.cxx for u in uses if u.kind == "own"]

    def info(self, layouts: dict) -> PlanInfo:
        t, ov, dy, ba, ot = (layouts[k] for k in self.layout_types)
        sizes = {k: layouts.get(k, (0, 0))[0] for k in self.use_types}
        uses = []
        for u in self.uses:
            n = u.nbytes if u.kind == "bytes" else sizes.get(u.cxx, 0) * u.count
            uses.append((u.what, u.where, n))
        uses = sorted((x for x in uses if x[2] > 1), key=lambda x: -x[2])  # not CUB's empty placeholders
        return PlanInfo(t[0], t[1], ov[0] == 2, dy[0] == 2, ba[0] == 2, ot[0] - 1, uses)


def numba_static_shared(library) -> int:
    """Bytes of static shared memory in a code library's Numba modules (its ``shared.array``s)."""
    from llvmlite import ir

    total = 0
    for mod in library.modules:
        if mod is None:  # a library loaded from numba's cache keeps no modules
            continue
        for gv in mod.global_values:
            if not isinstance(gv, ir.GlobalVariable) or getattr(gv, "addrspace", 0) != 3:
                continue
            ty = gv.value_type
            if gv.linkage == "external" or (isinstance(ty, ir.ArrayType) and ty.count == 0):
                continue  # dynamic shared memory
            align = gv.align or 1
            total = -(-total // align) * align + _abi_size(ty)
    return total


_target_data = []


def _abi_size(ty) -> int:
    if not _target_data:
        from llvmlite import binding as llb
        from numba.cuda.cudadrv import nvvm

        _target_data.append(llb.create_target_data(nvvm.NVVM().data_layout))
    return ty.get_abi_size(_target_data[0])


def uses_dynamic_arrays(library) -> bool:
    """Whether the kernel's Numba code reads the launch's dynamic shared size (``shared.array(0, ...)``)."""
    return any(NUMBA_DYNAMIC_SIZE_ASM in s for s in library.llvm_strs)


def keep_dynamic_arrays(library, info: PlanInfo) -> None:
    """Numba's dynamic arrays take their length from the dynamic size, which now includes the
    plan: make them subtract it, so they keep the length the launch asked for. Recompiles the
    library's Numba code when it changes."""
    reserved = info.dynamic_bytes
    done = getattr(library, "_cub_coop_reserved", None)
    if done == reserved or not reserved:
        return
    if done is not None:
        raise RuntimeError(f"a kernel's shared-memory plan differs between architectures ({done} vs {reserved} bytes)")
    asm = ("{.reg .u32 %cub_coop_dyn; mov.u32 %cub_coop_dyn, %dynamic_smem_size; "
           f"sub.u32 $0, %cub_coop_dyn, {reserved};}}")
    strs = library.llvm_strs
    library._llvm_strs = [s.replace(NUMBA_DYNAMIC_SIZE_ASM, asm) for s in strs]
    library._ltoir_cache.clear()
    library._ptx_cache.clear()
    library._cub_coop_reserved = reserved


__all__ = ["PlanUse", "PlanInfo", "Rendered", "STATIC_SHARED_BYTES", "OPT_IN_BYTES", "numba_static_shared",
           "uses_dynamic_arrays", "keep_dynamic_arrays"]
