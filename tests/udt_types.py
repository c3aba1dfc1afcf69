"""A Numba extension type with construct/assign methods (the earlier cuda.coop form of a
user-defined type), shared by the UDT tests: ``Pair(a: int32, b: float64)``."""
import numba
from numba import cuda, types
from numba.cuda.extending import models, register_model, make_attribute_wrapper, type_callable, lower_builtin
from numba.cuda import cgutils


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b


class PairType(types.Type):
    def __init__(self):
        super().__init__(name="Pair")


pair_type = PairType()


@register_model(PairType)
class PairModel(models.StructModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, [("a", types.int32), ("b", types.float64)])


make_attribute_wrapper(PairType, "a", "a")
make_attribute_wrapper(PairType, "b", "b")


@type_callable(Pair)
def _type_pair(context):
    def typer(a, b):
        return pair_type
    return typer


@lower_builtin(Pair, types.Integer, types.Float)
def _lower_pair(context, builder, sig, args):
    p = cgutils.create_struct_proxy(pair_type)(context, builder)
    p.a = context.cast(builder, args[0], sig.args[0], types.int32)
    p.b = context.cast(builder, args[1], sig.args[1], types.float64)
    return p._getvalue()


def construct(this):
    this[0] = Pair(numba.int32(0), numba.float64(0))


def assign(this, that):
    this[0] = Pair(that[0].a, that[0].b)


pair_type.methods = {"construct": construct, "assign": assign}


@cuda.jit(device=True)
def add_pairs(x, y):
    return Pair(x.a + y.a, x.b + y.b)


@cuda.jit(device=True)
def less_a(x, y):
    return x.a < y.a


class Incomplete(types.Type):
    """Has construct but no assign: not a type coop can hand to CUB."""

    def __init__(self):
        super().__init__(name="Incomplete")


incomplete_type = Incomplete()
incomplete_type.methods = {"construct": construct}


@register_model(Incomplete)
class _IncompleteModel(models.StructModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, [("a", types.int32)])
