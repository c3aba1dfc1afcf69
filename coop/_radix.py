"""Block radix sort and radix rank: ``coop.block.radix_sort_keys``, ``radix_sort_keys_descending``,
``radix_sort_pairs``, ``radix_sort_pairs_descending`` (CUB BlockRadixSort) and
``coop.block.radix_rank`` (CUB BlockRadixRank, BlockRadixRankMatch, BlockRadixRankMatchEarlyCounts).

The order keys sort in is CUB's (its radix traits, ``cub/util_type.cuh``): each key is turned
into unsigned bits that order like the key ("twiddled": signed integers get their sign bit
flipped; floats get the sign bit flipped when positive and every bit flipped when negative;
unsigned integers and bool are used as they are), and bits ``[begin_bit, end_bit)`` of those
bits are compared. So integers sort by value; floats by value, with -0.0 and +0.0 equal
(CUB's digit extractor reads -0.0 as +0.0) and NaNs by their bits: NaNs without the sign bit
after +inf, NaNs with it before -inf. The sort is stable: equal keys (equal in the compared
bits) keep their input order, in both directions. Keys keep their own bits (-0.0 stays -0.0).
"""

from __future__ import annotations

import numpy as np
from numba.cuda import types

from cub_bindings import enums as _cub_enums
from cub_bindings.extending import Decomposer, DecomposerType, FixedArray, static_length

from cub_bindings.extending import ENABLE_CUDASIM, CxxFunctor, StatefulOpType

from coop import _ops
from coop._common import BLOCK_ALIASES, DIMS, IPT, TEMP, block_class
from coop._decl import REQUIRED, Arg, Const, CubCall, Helper, Param, Primitive, Scratch
from coop._host import PrimitiveFunction
from coop._kinds import DType, Enum, Flag, IndexArray, Items, Kind, Value, _Constant
from coop.enums import BlockScanAlgorithm, RadixRankAlgorithm, SharedMemConfig, cub_member

#: BlockRadixRank counts digits in 16-bit counters: at most this many keys per block
_MAX_TILE = 65535
_MAX_RADIX_BITS = 16


# --------------------------------------------------------------------------- kinds


class _Int(_Constant):
    """An int known at compile time, in ``lo..hi`` (radix_bits; radix_rank's bits, which fix
    CUB's RadixBits template argument)."""

    def __init__(self, lo: int, hi: int | None = None, doc: str = ""):
        self.lo, self.hi = lo, hi
        self.doc = doc or f"an int from {lo}{f' to {hi}' if hi else ' up'} known at compile time"

    def _range(self):
        return f"{self.lo}..{self.hi}" if self.hi else f"{self.lo} or more"

    def _check(self, c, p, v):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            c.fail(p.name, f"must be an int, got {v!r}", self._range())
        if v < self.lo or (self.hi is not None and v > self.hi):
            c.fail(p.name, f"must be {'in ' if self.hi else ''}{self._range()}, got {v}", self._range())
        return int(v)

    def value(self, c, p, ty):
        if not isinstance(ty, types.IntegerLiteral):
            c.fail(p.name, f"must be an int known at compile time, got {ty}",
                   f"a literal or a global/closure int, {self._range()}")
        return self._check(c, p, ty.literal_value)

    def host_value(self, c, p, v):
        v = self._check(c, p, v)
        return types.IntegerLiteral(v), v


class _OptionalDType(_Constant):
    """A dtype the two-phase constructor may fix (radix_sort_keys' value_dtype: absent = keys only)."""

    kernel = False

    def __init__(self, group):
        self._dtype = DType(group)
        self.doc = self._dtype.doc + " (omit it to sort keys only)"

    def host_value(self, c, p, v):
        return self._dtype.host_value(c, p, v)

    def infer_host(self, c, p, v):
        self._dtype.infer_host(c, p, v)


class _Ranks(IndexArray):
    """CUB's ``int (&ranks)[items_per_thread]``."""

    def __init__(self):
        super().__init__("ipt")
        self.doc = "a 1-D int32 array of items-per-thread length (receives each key's rank)"

    def check(self, c, p, ty):
        super().check(c, p, ty)
        if ty.dtype != types.int32:
            c.fail(p.name, f"must be an array of int32 (CUB writes int ranks), got an array of {ty.dtype}",
                   "coop.local.array(items_per_thread, np.int32)")


class _DigitPrefix(Kind):
    """radix_rank's exclusive_digit_prefix: CUB's ``int (&)[BINS_TRACKED_PER_THREAD]``."""

    array = True
    doc = ("a 1-D int32 array whose length is known at compile time (coop.local.array(n, np.int32)), "
           "n >= max(1, ceil(2**(end_bit - begin_bit) / threads))")

    def check(self, c, p, ty):
        if not isinstance(ty, types.Array) or ty.ndim != 1 or ty.dtype != types.int32:
            c.fail(p.name, f"must be a 1-D int32 array, got {ty}", "coop.local.array(n, np.int32)")
        if static_length(ty) is None:
            c.fail(p.name, "its length must be known at compile time: CUB writes a fixed number of entries",
                   "coop.local.array(n, np.int32) with n >= max(1, ceil(2**(end_bit - begin_bit) / threads))")

    def cub_type(self, c, p, ty):
        return FixedArray(types.int32, _bins_tracked(c), "local")


class _Decomposer(Kind):
    """A radix sort's decomposer for record keys: ``coop.Decomposer("hi", "lo")`` or
    ``coop.Decomposer(lambda k: (k.hi, k.lo))`` (the fields compared, most significant first)."""

    host = True
    doc = ('coop.Decomposer("hi", "lo") or coop.Decomposer(lambda key: (key.hi, key.lo)): the record key\'s '
           "fields compared, most significant first (a global or closure variable in kernels)")

    def check(self, c, p, ty):
        if not isinstance(ty, DecomposerType):
            c.fail(p.name, f"must be a coop.Decomposer, got {ty}", self.doc)

    def host_value(self, c, p, v):
        if not isinstance(v, Decomposer):
            try:
                v = Decomposer(v)
            except TypeError as exc:
                c.fail(p.name, str(exc), self.doc)
        return DecomposerType(v.fields, v.ret_types), v


class _CountsCallback(Kind):
    """radix_rank's counts_callback: CUB's ``CountsCallback``, called by every thread with
    ``int (&bins)[BINS_TRACKED_PER_THREAD]``, given here as a read-only 1-D int32 array."""

    host = True
    doc = ("a @cuda.jit(device=True) function (or a plain function) fn(bins), or coop.StatefulOp(fn, state) "
           "calling fn(state, bins); bins: a read-only 1-D int32 array of the thread's digit counts")

    def check(self, c, p, ty):
        if isinstance(ty, StatefulOpType):
            fnty, args, call = ty.fn_type, (ty.state_type, _BINS), "fn(state, bins)"
        elif isinstance(ty, types.Dispatcher):
            fnty, args, call = ty, (_BINS,), "fn(bins)"
        else:
            c.fail(p.name, f"is not a device function or coop.StatefulOp: {ty}", self.doc)
        if c.context is None or ENABLE_CUDASIM:  # the simulator calls it with NumPy arrays
            return
        ret, why = _ops.device_result(c.context, fnty, args)
        if ret is None:
            c.fail(p.name, f"cannot be called as {call} with bins a read-only 1-D int32 array: {why}", self.doc)

    def cub_type(self, c, p, ty):
        return _ops.device_type(ty)

    def host_value(self, c, p, v):
        if isinstance(v, (str, CxxFunctor)):
            c.fail(p.name, f"must be a function, got {v!r}", self.doc)
        try:
            op = _ops.host_op(v, "binary")
        except ValueError as exc:
            c.fail(p.name, str(exc), self.doc)
        if isinstance(op, CxxFunctor):
            c.fail(p.name, f"must be a function, got {v!r}", self.doc)
        return types.Dispatcher(op), op


_BINS = types.Array(types.int32, 1, "C", readonly=True)


def _decomposed_fields(c, kt):
    """The record key's (name, type) pairs a decomposer names, checked; None without a decomposer."""
    if not c.has("decomposer"):
        return None
    dec = c.type("decomposer")
    if not isinstance(kt, types.Record):
        c.fail("decomposer", f"is for record keys; these keys are {kt}", "omit decomposer (CUB sorts numbers directly)")
    out = []
    for name in dec.fields:
        if name not in kt.fields:
            c.fail("decomposer", f"names field {name!r}, which the key record does not have",
                   f"fields of the key: {', '.join(kt.fields)}")
        fty = kt.fields[name][0]
        if not isinstance(fty, (types.Integer, types.Float, types.Boolean)):
            c.fail("decomposer", f"field {name!r} is {fty}: CUB radix-sorts integer, float and bool fields",
                   "a decomposer naming only numeric fields")
        out.append((name, fty))
    if dec.ret_types is not None and tuple(dec.ret_types) != tuple(t for _, t in out):
        c.fail("decomposer", f"ret_type {tuple(map(str, dec.ret_types))} does not match the fields' types "
               f"{tuple(str(t) for _, t in out)}", "omit ret_type, or give the fields' types")
    return out


# --------------------------------------------------------------------------- shared checks


def _threads(c) -> int:
    x, y, z = c.dims
    return x * y * z


def _key_bits(kt, fields=None) -> int:
    """Bits compared: the key's, or the decomposed fields' together."""
    if fields is not None:
        return sum(np.dtype(str(t)).itemsize * 8 for _, t in fields)
    return np.dtype(str(kt)).itemsize * 8


def _constant(c, name):
    """The compile-time value of an int argument (given as a constant, or fixed on the host), or None."""
    if name in c.fixed and name not in c.given:
        return int(c.fixed[name][1])
    ty = c.type(name)
    return ty.literal_value if isinstance(ty, types.IntegerLiteral) else None


def _check_bits(c, begin, end, kt, fields=None):
    """0 <= begin_bit < end_bit <= bits of the key, for the values known at compile time."""
    nbits = _key_bits(kt, fields)
    if begin is not None and not 0 <= begin < nbits:
        c.fail("begin_bit", f"{begin} is not a bit of {kt} keys ({nbits} bits)", f"0..{nbits - 1}")
    if end is not None and not 0 < end <= nbits:
        c.fail("end_bit", f"{end} is past the {nbits} bits of {kt} keys" if end > nbits else f"must be positive, got {end}",
               f"1..{nbits}")
    if begin is not None and end is not None and begin >= end:
        c.fail("end_bit", f"end_bit={end} is not greater than begin_bit={begin}: the keys are compared on bits "
               "[begin_bit, end_bit)", f"{begin + 1}..{nbits}")


def _check_tile(c, what):
    n = _threads(c) * c.ipt
    if n > _MAX_TILE:
        c.fail("items_per_thread", f"{_threads(c)} threads x {c.ipt} items = {n} keys: {what} counts digits in "
               f"16-bit counters, at most {_MAX_TILE} keys per block",
               f"at most {_MAX_TILE // _threads(c)} items per thread")


# --------------------------------------------------------------------------- radix sort


def _check_keys(c, name):
    kt = c.dtype("KeyT")
    if isinstance(kt, types.Record):
        if not c.has("decomposer"):
            c.fail(name, f"the keys are records ({kt}): CUB sorts them through a decomposer naming the fields to compare",
                   'decomposer=coop.Decomposer("field1", "field2", ...) (most significant first)')
        return kt
    if not isinstance(kt, (types.Integer, types.Float, types.Boolean)):
        c.fail(name, f"CUB radix-sorts integer, floating-point and bool keys, got {kt} keys",
               "keys of an integer, float (float16/32/64) or bool dtype")
    return kt


def _sort_template(c):
    kt = _check_keys(c, "keys" if "keys" in c.given else "dtype")
    _check_tile(c, "CUB's BlockRadixSort")
    _check_bits(c, _constant(c, "begin_bit"), _constant(c, "end_bit"), kt, _decomposed_fields(c, kt))
    return block_class(c, "BlockRadixSort", {"KeyT": kt}, ItemsPerThread=c.ipt,
                       ValueT=c.dtype("ValueT"), RadixBits=c.value("radix_bits"),
                       MemoizeOuterScan=c.value("memoize_outer_scan"),
                       InnerScanAlgorithm=cub_member(c.value("inner_scan_algorithm")),
                       SMemConfig=cub_member(c.value("smem_config")))


def _sort_build(c, descending: bool):
    if "dtype" in c.fixed:  # a two-phase object: keys-only or pairs was fixed on the host
        pairs = "value_dtype" in c.fixed
        if c.has("values") and not pairs:
            c.fail("values", "this two-phase object was made to sort keys only",
                   "pass value_dtype= to the two-phase constructor (or use radix_sort_pairs)")
        if pairs and not c.has("values"):
            c.fail("values", "is required: this two-phase object sorts key-value pairs (value_dtype was given)")
    args = {"keys": Arg("keys")}
    if c.has("values"):
        args["values"] = Arg("values")
    fields = _decomposed_fields(c, c.dtype("KeyT"))
    if fields is not None:
        args["decomposer"] = Arg("decomposer")
    if c.has("begin_bit") or c.has("end_bit"):
        c.dtypes["BitT"] = types.int32  # CUB's int begin_bit/end_bit
        args["begin_bit"] = Arg("begin_bit") if c.has("begin_bit") else Const(0, "BitT")
        if c.has("end_bit"):
            args["end_bit"] = Arg("end_bit")
        elif fields is not None:  # CUB's decomposer overloads take both bits or neither
            args["end_bit"] = Const(_key_bits(None, fields), "BitT")
    method = ("SortDescending" if descending else "Sort") + ("BlockedToStriped" if c.value("blocked_to_striped") else "")
    return CubCall(method, args, returns=None)


_KEY_DTYPE = Param("dtype", DType("KeyT"), REQUIRED, host_only=True, doc="the key dtype")
_SORT_KNOBS = (
    Param("begin_bit", Value("int", minimum=0),
          doc="the least significant key bit compared (default 0); a constant is checked at compile time, "
              "a runtime value must satisfy 0 <= begin_bit < end_bit <= key bits"),
    Param("end_bit", Value("int", minimum=0),
          doc="one past the most significant key bit compared (default: all the key's bits)"),
    Param("decomposer", _Decomposer(), doc="record keys: the fields compared (CUB's decomposer)"),
    Param("blocked_to_striped", Flag(), False,
          doc="leave the sorted keys (and values) in a striped arrangement (CUB Sort[Descending]BlockedToStriped)"),
    Param("radix_bits", _Int(1, _MAX_RADIX_BITS, f"an int from 1 to {_MAX_RADIX_BITS} known at compile time (CUB keeps "
                             "2**radix_bits digit counters per thread in shared memory: more than 8 rarely fits)"),
          4, doc="bits sorted per pass (CUB's RadixBits)"),
    Param("memoize_outer_scan", Flag(), True, doc="CUB's MemoizeOuterScan"),
    Param("inner_scan_algorithm", Enum(BlockScanAlgorithm), BlockScanAlgorithm.WARP_SCANS,
          doc="CUB's InnerScanAlgorithm"),
    Param("smem_config", Enum(SharedMemConfig), SharedMemConfig.FourByte,
          doc="the shared-memory bank size CUB packs its digit counters for (CUB's SMemConfig)"),
    TEMP, DIMS,
)
_KNOB_NAMES = ("radix_bits", "memoize_outer_scan", "inner_scan_algorithm", "smem_config")
_SORT_DOC = """{what} (CUB BlockRadixSort::{method}): each thread's ``keys`` (and ``values``),
    a blocked arrangement, are sorted in place across the block; with ``blocked_to_striped``
    the result is striped (thread ``t`` item ``i`` holds sorted item ``i * threads + t``).
    Stable. Keys are integers, floats (float16/32/64) or bool, ordered as CUB's radix traits
    order them (see ``coop._radix``: -0.0 equals +0.0; NaNs by their bits, sign-less ones after
    +inf); ``begin_bit``/``end_bit`` restrict the comparison to bits [begin_bit, end_bit) of
    that order-preserving representation. Record keys (a Numba record dtype) sort through
    ``decomposer=coop.Decomposer("hi", "lo")``: the named fields compared, most significant
    first, with ``begin_bit``/``end_bit`` counted over the fields together (the last
    field's lowest bit is bit 0)."""


def _sort_keys(name, descending):
    method = "SortDescending" if descending else "Sort"
    return PrimitiveFunction(Primitive(
        "block", name,
        _SORT_DOC.format(what=f"A {'descending' if descending else 'ascending'} radix sort of keys, or of "
                         "key-value pairs when ``values`` is given", method=method),
        params=(Param("keys", Items("KeyT", "ipt", scalar=False), REQUIRED, doc="the thread's keys, sorted in place"),
                IPT, *_SORT_KNOBS[:2],
                Param("values", Items("ValueT", "ipt", scalar=False),
                      doc="the thread's values (any dtype), moved with their keys"),
                *_SORT_KNOBS[2:], _KEY_DTYPE,
                Param("value_dtype", _OptionalDType("ValueT"), host_only=True, doc="the value dtype (pairs)")),
        kernel_order=("keys", "items_per_thread", "begin_bit", "end_bit", "values", "decomposer",
                      "blocked_to_striped", *_KNOB_NAMES, "temp_storage", "threads_per_block"),
        host_order=("dtype", "threads_per_block", "items_per_thread", "value_dtype", "begin_bit", "end_bit",
                    "decomposer", "blocked_to_striped", *_KNOB_NAMES),
        template=_sort_template, build=lambda c: _sort_build(c, descending),
        aliases=BLOCK_ALIASES, reaches={"BlockRadixSort": (method, method + "BlockedToStriped")}))


def _sort_pairs(name, descending):
    method = "SortDescending" if descending else "Sort"
    return PrimitiveFunction(Primitive(
        "block", name,
        _SORT_DOC.format(what=f"A {'descending' if descending else 'ascending'} radix sort of key-value pairs",
                         method=method),
        params=(Param("keys", Items("KeyT", "ipt", scalar=False), REQUIRED, doc="the thread's keys, sorted in place"),
                Param("values", Items("ValueT", "ipt", scalar=False), REQUIRED,
                      doc="the thread's values (any dtype), moved with their keys"),
                IPT, *_SORT_KNOBS, _KEY_DTYPE,
                Param("value_dtype", DType("ValueT"), REQUIRED, host_only=True, doc="the value dtype")),
        kernel_order=("keys", "values", "items_per_thread", "begin_bit", "end_bit", "decomposer",
                      "blocked_to_striped", *_KNOB_NAMES, "temp_storage", "threads_per_block"),
        host_order=("dtype", "value_dtype", "threads_per_block", "items_per_thread", "begin_bit", "end_bit",
                    "decomposer", "blocked_to_striped", *_KNOB_NAMES),
        template=_sort_template, build=lambda c: _sort_build(c, descending),
        aliases=BLOCK_ALIASES, reaches={"BlockRadixSort": (method, method + "BlockedToStriped")}))


radix_sort_keys = _sort_keys("radix_sort_keys", False)
radix_sort_keys_descending = _sort_keys("radix_sort_keys_descending", True)
radix_sort_pairs = _sort_pairs("radix_sort_pairs", False)
radix_sort_pairs_descending = _sort_pairs("radix_sort_pairs_descending", True)


# --------------------------------------------------------------------------- radix rank

_RRA = RadixRankAlgorithm
_EARLY = {_RRA.MATCH_EARLY_COUNTS_ANY: _cub_enums.WARP_MATCH_ANY,
          _RRA.MATCH_EARLY_COUNTS_ATOMIC_OR: _cub_enums.WARP_MATCH_ATOMIC_OR}


def _rank_bits(c):
    """(begin_bit, radix bits) of a radix_rank call, checked against the unsigned key dtype."""
    kt = c.dtype("KeyT")
    if not isinstance(kt, types.Integer) or kt.signed:
        c.fail("items" if "items" in c.given else "dtype",
               f"CUB's radix rankers rank unsigned integer keys (their bits), got {kt} keys",
               "uint8, uint16, uint32 or uint64 keys; to rank other keys in CUB's sort order, convert them to "
               "the unsigned bits CUB's radix traits use (signed: flip the sign bit; floats: flip the sign bit "
               "if positive, every bit if negative), or use coop.block.radix_sort_*")
    begin, end = c.value("begin_bit"), c.value("end_bit")
    _check_bits(c, begin, end, kt)
    bits = end - begin
    if bits > _MAX_RADIX_BITS:
        c.fail("end_bit", f"end_bit - begin_bit = {bits} bits: CUB ranks 2**(end_bit - begin_bit) digits, "
               f"keeping a counter per digit in shared memory", f"at most {_MAX_RADIX_BITS} bits (8 or fewer usually fit)")
    return begin, bits


def _bins_tracked(c) -> int:
    """CUB's BINS_TRACKED_PER_THREAD: digits whose exclusive prefix each thread receives."""
    _, bits = _rank_bits(c)
    return max(1, -(-(1 << bits) // _threads(c)))


def _rank_template(c):
    _, bits = _rank_bits(c)
    alg = c.value("algorithm")
    desc = c.value("descending")
    scan = cub_member(c.value("inner_scan_algorithm"))
    x, y, z = c.dims
    if alg in (_RRA.BASIC, _RRA.MEMOIZE):
        return "BlockRadixRank", dict(BlockDimX=x, RadixBits=bits, IsDescending=desc,
                                      MemoizeOuterScan=alg == _RRA.MEMOIZE, InnerScanAlgorithm=scan,
                                      SMemConfig=cub_member(c.value("smem_config")), BlockDimY=y, BlockDimZ=z)
    if c.has("smem_config"):
        c.fail("smem_config", f"only BlockRadixRank (algorithm BASIC or MEMOIZE) takes a bank size; {alg!r} does not",
               "omit smem_config, or algorithm=RadixRankAlgorithm.BASIC / MEMOIZE")
    if alg == _RRA.MATCH:
        return "BlockRadixRankMatch", dict(BlockDimX=x, RadixBits=bits, IsDescending=desc, InnerScanAlgorithm=scan,
                                           BlockDimY=y, BlockDimZ=z)
    if y != 1 or z != 1 or x % 32:
        c.fail("threads_per_block", f"{alg!r} (CUB's BlockRadixRankMatchEarlyCounts) needs a 1-D block of whole warps "
               f"(it uses threadIdx.x and full warps), got {c.dims}",
               "a 1-D block of a multiple of 32 threads, or another algorithm")
    if desc:
        # its Digit() and ThreadBin() both reverse the digit, so IsDescending ranks ascending
        # (block_radix_rank.cuh; seen on an H200): a wrong answer
        c.fail("descending", f"CUB's BlockRadixRankMatchEarlyCounts ({alg!r}) ranks ascending even when asked to "
               "rank descending", "algorithm=RadixRankAlgorithm.MATCH, BASIC or MEMOIZE for a descending ranking")
    return "BlockRadixRankMatchEarlyCounts", dict(BlockDimX=x, RadixBits=bits, IsDescending=desc,
                                                  InnerScanAlgorithm=scan, MATCH_ALGORITHM=_EARLY[alg])


def _rank_build(c):
    begin, bits = _rank_bits(c)
    alg = c.value("algorithm")
    if alg in (_RRA.BASIC, _RRA.MEMOIZE):
        _check_tile(c, "CUB's BlockRadixRank")
    args = {"keys": Arg("items"), "ranks": Arg("ranks"),
            "digit_extractor": Helper("BFEDigitExtractor", (("KeyT", c.dtype("KeyT")),), (begin, bits))}
    if c.has("exclusive_digit_prefix"):
        n, have = _bins_tracked(c), static_length(c.type("exclusive_digit_prefix"))
        if have < n:
            c.fail("exclusive_digit_prefix", f"holds {have} items, but CUB writes {n} per thread "
                   f"(2**{bits} digits over {_threads(c)} threads)", f"coop.local.array({n}, np.int32)")
        if (bits == 1 and c.value("descending") and alg in (_RRA.BASIC, _RRA.MEMOIZE)
                and c.value("smem_config") == SharedMemConfig.EightByte):
            # 1 radix bit in 64-bit packed counters: CUB reads the prefixes from other counters
            # than the descending ranking wrote (block_radix_rank.cuh), a wrong answer
            c.fail("exclusive_digit_prefix", "CUB's BlockRadixRank returns wrong digit prefixes for a descending "
                   "1-bit ranking with EightByte banks", "smem_config=SharedMemConfig.FourByte, or more bits")
        args["exclusive_digit_prefix"] = Arg("exclusive_digit_prefix")
    if c.has("counts_callback"):
        if alg in (_RRA.BASIC, _RRA.MEMOIZE):
            c.fail("counts_callback", f"CUB's BlockRadixRank ({alg!r}) has no counts callback",
                   "algorithm=RadixRankAlgorithm.MATCH, MATCH_EARLY_COUNTS_ANY or MATCH_EARLY_COUNTS_ATOMIC_OR")
        if alg == _RRA.MATCH and c.value("descending"):
            # BlockRadixRankMatch::CallBack reads the descending counters one digit off (block_radix_rank.cuh):
            # negative counts, a wrong answer
            c.fail("counts_callback", "CUB's BlockRadixRankMatch passes wrong counts to the callback when ranking "
                   "descending", "descending=False, or compute the counts from exclusive_digit_prefix")
        if "exclusive_digit_prefix" not in args and alg != _RRA.MATCH:  # EarlyCounts' callback overload takes one
            c.dtypes["BinT"] = types.int32
            args["exclusive_digit_prefix"] = Scratch("exclusive_digit_prefix", _bins_tracked(c), "BinT")
        args["callback"] = Arg("counts_callback")
    return CubCall("RankKeys", args, returns=None)


radix_rank = PrimitiveFunction(Primitive(
    "block", "radix_rank",
    """Rank each thread's keys (``items``, a blocked arrangement of unsigned integers) by their
    digit, bits [begin_bit, end_bit), across the block (CUB RankKeys with a BFEDigitExtractor):
    ``ranks[i]`` receives the position of ``items[i]`` in the block's keys ordered by digit,
    ascending or ``descending``. ``algorithm`` picks CUB's ranker: BASIC / MEMOIZE
    (BlockRadixRank; equal digits keep blocked order), MATCH (BlockRadixRankMatch) or
    MATCH_EARLY_COUNTS_ANY / _ATOMIC_OR (BlockRadixRankMatchEarlyCounts: 1-D blocks of whole
    warps, ascending only); the match rankers order equal digits by warp, then item index, then
    lane. ``exclusive_digit_prefix`` (optional) receives, in thread ``t`` entry ``j``, the number
    of keys ranked before digit ``d = t * n + j`` (n: its required length; entries with ``d >=
    2**(end_bit - begin_bit)`` are unspecified): keys with a smaller digit, or with a larger one
    when descending. ``counts_callback`` (MATCH and MATCH_EARLY_COUNTS_* only; not with
    MATCH descending) is CUB's CountsCallback: every thread calls ``fn(bins)`` (or a StatefulOp's
    ``fn(state, bins)``) once, ``bins`` a read-only int32 array of n entries whose entry ``j``
    is the number of the block's keys with digit ``t * n + j`` (entries past the last digit: 0
    with the early-counts rankers, unspecified with MATCH).""",
    params=(Param("items", Items("KeyT", "ipt", scalar=False), REQUIRED, doc="the thread's keys (unsigned integers)"),
            Param("ranks", _Ranks(), REQUIRED, doc="receives each key's rank"),
            IPT,
            Param("begin_bit", _Int(0), REQUIRED, doc="the digit's least significant bit"),
            Param("end_bit", _Int(0), REQUIRED,
                  doc="one past the digit's most significant bit (end_bit - begin_bit is CUB's RadixBits)"),
            Param("descending", Flag(), False, doc="rank larger digits first"),
            Param("exclusive_digit_prefix", _DigitPrefix(), doc="receives the digits' exclusive prefix counts"),
            Param("algorithm", Enum(RadixRankAlgorithm), RadixRankAlgorithm.MEMOIZE, doc="CUB's ranker"),
            Param("inner_scan_algorithm", Enum(BlockScanAlgorithm), BlockScanAlgorithm.WARP_SCANS,
                  doc="CUB's InnerScanAlgorithm"),
            Param("smem_config", Enum(SharedMemConfig), SharedMemConfig.FourByte,
                  doc="BASIC / MEMOIZE: the bank size CUB packs its counters for"),
            Param("counts_callback", _CountsCallback(), doc="called by every thread with its digits' counts"),
            TEMP, DIMS, _KEY_DTYPE),
    kernel_order=("items", "ranks", "items_per_thread", "begin_bit", "end_bit", "descending", "exclusive_digit_prefix",
                  "algorithm", "inner_scan_algorithm", "smem_config", "counts_callback", "temp_storage",
                  "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "begin_bit", "end_bit", "descending", "algorithm",
                "inner_scan_algorithm", "smem_config", "counts_callback"),
    template=_rank_template, build=_rank_build, aliases=BLOCK_ALIASES | {"keys": "items"},
    reaches={"BlockRadixRank": ("RankKeys",), "BlockRadixRankMatch": ("RankKeys",),
             "BlockRadixRankMatchEarlyCounts": ("RankKeys",)}))

__all__ = ["radix_sort_keys", "radix_sort_keys_descending", "radix_sort_pairs", "radix_sort_pairs_descending",
           "radix_rank"]
