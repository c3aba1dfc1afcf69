"""Synthesize, from the generated specs, one kernel per primitive that calls every bound overload.

Arguments are made from each parameter's role: arrays from ``cub_bindings.local_array``
with the extent the overload needs, iterators from the kernel's device-array arguments,
operators from ``cub_bindings.functional`` or small device functions, stateful callbacks
from ``StatefulOp``. The CPU tier compiles and links each kernel to an sm_90 cubin.
"""

from __future__ import annotations

import numpy as np

#: per primitive: template arguments (Python source), the C++ type of each class type
#: parameter, its integer template parameters, and how the object is constructed.
CONFIGS = {
    "BlockAdjacentDifference": dict(targs="np.int32, 128", types={"T": "np.int32"}),
    "BlockDiscontinuity": dict(targs="np.int32, 128", types={"T": "np.int32"}),
    "BlockExchange": dict(targs="np.int32, 128, 4", types={"T": "np.int32"}, ints={"ItemsPerThread": 4}),
    "BlockHistogram": dict(targs="np.uint8, 128, 4, 256", types={"T": "np.uint8"}, ints={"ItemsPerThread": 4, "Bins": 256}),
    "BlockLoad": dict(targs="np.int32, 128, 4", types={"T": "np.int32"}, ints={"ItemsPerThread": 4}),
    "BlockMergeSort": dict(targs="np.int32, 128, 4, ValueT=np.float32", types={"KeyT": "np.int32", "ValueT": "np.float32"}, ints={"ItemsPerThread": 4}),
    "BlockRadixRank": dict(targs="128, 4, False", types={}),
    "BlockRadixRankMatch": dict(targs="128, 4, False", types={}, ts=True),
    "BlockRadixRankMatchEarlyCounts": dict(targs="128, 4, False", types={}, ts=True),
    "BlockRadixSort": dict(targs="np.uint32, 128, 4, ValueT=np.int32", types={"KeyT": "np.uint32", "ValueT": "np.int32"},
                           ints={"ItemsPerThread": 4}, keys_only_targs="np.uint32, 128, 4",
                           # overloads taking a decomposer sort record keys
                           record_targs="REC, 128, 4, ValueT=np.int32", record_keys_only_targs="REC, 128, 4"),
    "BlockReduce": dict(targs="np.int32, 128", types={"T": "np.int32"}),
    "BlockRunLengthDecode": dict(targs="np.int32, 128, 2, 4", types={"ItemT": "np.int32", "DecodedOffsetT": "np.uint32"}, ints={"RunsPerThread": 2, "DecodedItemsPerThread": 4}),
    "BlockScan": dict(targs="np.int32, 128", types={"T": "np.int32"}),
    "BlockShuffle": dict(targs="np.int32, 128", types={"T": "np.int32"}),
    "BlockStore": dict(targs="np.int32, 128, 4", types={"T": "np.int32"}, ints={"ItemsPerThread": 4}),
    "WarpExchange": dict(targs="np.int32, 4", types={"InputT": "np.int32"}, ints={"ITEMS_PER_THREAD": 4}),
    "WarpLoad": dict(targs="np.int32, 4", types={"InputT": "np.int32"}, ints={"ITEMS_PER_THREAD": 4}),
    "WarpMergeSort": dict(targs="np.int32, 4, 32, np.float32", types={"KeyT": "np.int32", "ValueT": "np.float32"}, ints={"ITEMS_PER_THREAD": 4}),
    "WarpReduce": dict(targs="np.int32", types={"T": "np.int32"}, ts=True),
    "WarpReduceBatched": dict(targs="np.int32, 4", types={"T": "np.int32"}, ints={"Batches": 4}, ts=True),
    "WarpScan": dict(targs="np.int32", types={"T": "np.int32"}, ts=True),
    "WarpStore": dict(targs="np.int32, 4", types={"T": "np.int32"}, ints={"ITEMS_PER_THREAD": 4}),
}

METHOD_TYPES = {
    "FlagT": "np.int32", "ValidFlag": "np.bool_", "OffsetT": "np.int32", "RunLengthT": "np.int32",
    "UserRunOffsetT": "np.int32", "RelativeOffsetT": "np.uint32", "UnsignedBits": "np.uint32",
    "TotalDecodedSizeT": "np.uint32", "CounterT": "np.uint32", "int": "np.int32", "unsigned int": "np.uint32",
    "::cuda::std::uint32_t": "np.uint32",
}
VALUE_TYPE = {"KeyT", "T", "InputT", "ItemT"}


class _Gen:
    def __init__(self, name: str, spec):
        self.name, self.spec, self.cfg = name, spec, CONFIGS[name]
        self.lines: list[str] = []
        self.n = 0
        self.record_keys = False
        self.value_type = next(t.name for t in spec.template_params if t.kind == "type") if any(
            t.kind == "type" for t in spec.template_params) else None

    def dtype(self, elem: str) -> str:
        if elem == "KeyT" and self.record_keys:
            return "REC"
        if elem in self.cfg["types"]:
            return self.cfg["types"][elem]
        if elem in METHOD_TYPES:
            return METHOD_TYPES[elem]
        if elem in ("OutputT", "OutputType", "DefaultT"):
            return self.cfg["types"].get(self.value_type, "np.int32")
        raise KeyError(f"{self.name}: no test dtype for {elem}")

    def var(self, expr: str) -> str:
        self.n += 1
        v = f"v{self.n}"
        self.lines.append(f"    {v} = {expr}")
        return v

    def extent(self, p) -> int:
        if p.extent_owner == "class":
            return self.cfg["ints"][p.extent]
        if p.extent_owner == "internal":
            return 1
        return 4

    def arg(self, p, ov) -> str:
        if p.role == "array":
            return self.var(f"cb.local_array({self.extent(p)}, {self.dtype(p.elem)})")
        if p.role == "range":  # WarpReduceBatched: Batches inputs, ceil(Batches / 32) outputs per lane
            n = self.cfg.get("ints", {}).get("Batches", 4)
            return self.var(f"cb.local_array({n if p.intent == 'in' else -(-n // 32)}, {self.dtype(p.elem)})")
        if p.role == "ref":
            return self.var(f"cb.local_array(1, {self.dtype(p.elem)})")
        if p.role == "carray":
            return self.var(f"cb.shared_array({self.cfg['ints'][p.extent]}, {self.dtype(p.elem)})")
        if p.role == "iterator":
            return "d_in" if "src" in p.name or "Input" in p.cxx or ov.name == "Load" else "d_out"
        if p.role == "value":
            return f"{self.dtype(p.elem)}(1)"
        if p.role == "extractor":
            return self.var("cb.BFEDigitExtractor(np.uint32, 0, 4)")
        if p.role == "decomposer":
            return "DECOMPOSER"
        if p.role == "functor":
            if p.stateful:
                return self.var("cb.StatefulOp(prefix_op, cb.local_array(1, np.int32))")
            ret = p.op.split("(")[0]
            if ret == "bool":
                return "cb.functional.less" if "Key" in p.op else "flag_op"
            if ret.startswith("{"):
                return "diff_op"
            if ret == "void":
                return "counts_op"
            return "cb.functional.plus" if ov.index % 2 == 0 else "max_op"
        raise AssertionError(p.role)

    def source(self) -> str:
        spec = self.spec
        self.lines.append(f"    ts = cb.{self.name}.TempStorage({self.cfg['targs']})")
        if spec.persistent:
            rv = self.var(f"cb.local_array(2, {self.dtype('ItemT')})")
            rl = self.var("cb.local_array(2, np.int32)")
            tot = self.var("cb.local_array(1, np.uint32)")
            objs = [self.var(f"cb.{self.name}({self.cfg['targs']}, run_values={rv}, run_lengths={rl}, total_decoded_size={tot}[0:1])"),
                    self.var(f"cb.{self.name}({self.cfg['targs']}, temp_storage=ts, run_values={rv}, run_offsets={rl})")]
        elif self.cfg.get("ts") or not spec.default_constructible:
            objs = [self.var(f"cb.{self.name}({self.cfg['targs']}, temp_storage=ts)")]
        else:
            objs = [self.var(f"cb.{self.name}({self.cfg['targs']})"), self.var(f"cb.{self.name}({self.cfg['targs']}, temp_storage=ts)")]
        keys_only = rec_objs = None
        if "keys_only_targs" in self.cfg:
            keys_only = self.var(f"cb.{self.name}({self.cfg['keys_only_targs']})")
        if "record_targs" in self.cfg:
            rec_objs = (self.var(f"cb.{self.name}({self.cfg['record_targs']})"),
                        self.var(f"cb.{self.name}({self.cfg['record_keys_only_targs']})"))
        for i, ov in enumerate(spec.methods):
            self.record_keys = any(p.role == "decomposer" for p in ov.params)
            args = [self.arg(p, ov) for p in ov.params if p.default is None]
            if self.record_keys:
                obj = rec_objs[1] if ov.requires_default else rec_objs[0]
            else:
                obj = keys_only if ov.requires_default else objs[i % len(objs)]
            self.lines.append(f"    {obj}.{ov.name}({', '.join(args)})")
            defaulted = [p for p in ov.params if p.default is not None]
            if defaulted:  # once more with the defaulted arguments given by keyword
                kw = [f"{p.name}={self.arg(p, ov)}" for p in defaulted]
                self.lines.append(f"    {obj}.{ov.name}({', '.join(args + kw)})")
        body = "\n".join(self.lines)
        return (
            "import numpy as np\nimport numba\nfrom numba import cuda\nimport cub_bindings as cb\n\n"
            "REC = numba.from_dtype(np.dtype([('hi', np.int32), ('lo', np.float32)], align=True))\n"
            "DECOMPOSER = cb.Decomposer('hi', 'lo')\n\n"
            "@cuda.jit(device=True)\ndef max_op(a, b):\n    return a if a > b else b\n\n"
            "@cuda.jit(device=True)\ndef flag_op(a, b):\n    return a != b\n\n"
            "@cuda.jit(device=True)\ndef diff_op(a, b):\n    return a - b\n\n"
            "@cuda.jit(device=True)\ndef counts_op(bins):\n    n = bins[0]\n\n"
            "@cuda.jit(device=True)\ndef prefix_op(state, aggregate):\n    old = state[0]\n    state[0] += aggregate\n    return old\n\n"
            f"def kernel(d_in, d_out):\n{body}\n"
        )


def kernel_source(name: str) -> str:
    import cub_bindings as cb

    return _Gen(name, getattr(cb, name).spec).source()


def make_kernel(name: str):
    src = kernel_source(name)
    ns: dict = {}
    exec(compile(src, f"<{name} overload kernel>", "exec"), ns)
    return ns["kernel"], src


def iterator_dtype(name: str):
    cfg = CONFIGS[name]
    t = next(iter(cfg["types"].values()), "np.int32")
    return np.dtype(eval(t, {"np": np}))
