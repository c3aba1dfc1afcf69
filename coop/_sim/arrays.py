"""``coop.local.array``, ``shared.array``, ``ThreadData`` and ``TempStorage`` in a simulated
kernel: typed by the same templates as in compiled kernels (same checks and errors), then
made as NumPy arrays."""

from __future__ import annotations

import numpy as np

from coop import _arrays
from coop._errors import simulated_call
from coop._sim import threads, values
from coop._sim.run import user_site


def _typed(template, names, args):
    """The template's return type for the call's non-None arguments (given by keyword, as
    a compiled kernel's omitted optional arguments are absent): made once per block for the
    same argument types (``template`` is a template, or the name of a space for its array
    template)."""
    ktys = {n: values.typeof(v) for n, v in zip(names, args) if v is not None}
    typed = threads.BlockState.of(threads.current()).typed
    key = (template, tuple(ktys.items()))
    ty = typed.get(key)
    if ty is None:
        t = _arrays._array_template(template) if isinstance(template, str) else template
        ty = typed[key] = t(values.CONTEXT).generic((), ktys).return_type
    return ty


_ARRAY = ("shape", "dtype", "alignment")


def local_array(*args):
    with simulated_call(user_site()[1]):
        return values.sim_array(_typed("local", _ARRAY, args))


def shared_array(*args):
    """One array per block and call site (the n-th call of a thread at a line is the block's
    n-th array of that line)."""
    site, text = user_site()
    with simulated_call(text):
        ty = _typed("shared", _ARRAY, args)
        me = threads.current()
        counts = me.__dict__.setdefault("_coop_shared_counts", {})
        n = counts.get(site, 0)
        counts[site] = n + 1
        state = threads.BlockState.of(me)
        with state.cond:
            arr = state.shared.get((site, n))
            if arr is None or len(arr) != ty.length or arr.dtype != np.dtype(values.numpy_support.as_dtype(ty.dtype)):
                arr = state.shared[(site, n)] = values.sim_array(ty)
        return arr


def thread_data(*args):
    with simulated_call(user_site()[1]):
        ty = _typed(_arrays._ThreadDataTemplate, ("items_per_thread", "dtype", "alignment"), args)
        return values.sim_array(ty) if isinstance(ty, values.FixedArray) else values.SimThreadData(ty)


def temp_storage(*args):
    with simulated_call(user_site()[1]):
        return values.SimTempStorage(_typed(_arrays._TempStorageTemplate, ("size_in_bytes", "alignment", "auto_sync", "sharing"), args))
