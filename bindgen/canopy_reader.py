"""Running ast_canopy over the CUB block/warp headers.

One clang invocation parses an umbrella file that includes every header; ast_canopy keeps
the declarations of those headers. Errors come back as one ``BindgenError`` line, never as
an ast_canopy traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from pathlib import Path

from bindgen.errors import BindgenError
from bindgen.locate import Clang, clang_cuda_root


@contextlib.contextmanager
def _env(name: str, value: str):
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def first_errors(message: str, limit: int = 1) -> tuple[list[str], int]:
    """The first clang error lines of an ast_canopy ParseError, and how many there were."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip().startswith(("[Error]", "[Fatal]"))]
    cleaned = [ln.split("]", 1)[1].strip() for ln in lines]
    return cleaned[:limit], len(cleaned)


def parse(umbrella: Path, headers: list[Path], include_dir: Path, cuda_dirs: list[Path], clang: Clang):
    """ast_canopy ``Declarations`` for ``headers`` (all included by ``umbrella``)."""
    try:
        import ast_canopy
        from ast_canopy import pylibastcanopy
    except ImportError as exc:
        raise BindgenError(f"ast_canopy is not importable ({exc}): `pip install -e .[bindgen]`") from None

    cuda_root = clang_cuda_root(cuda_dirs[0])
    with _env("CUDA_HOME", str(cuda_root)), warnings.catch_warnings():
        # ast_canopy warns about CUDA components it looks for by itself (nvcc, curand);
        # the include directories below are given explicitly, so those lookups do not matter.
        warnings.simplefilter("ignore")
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                return ast_canopy.parse_declarations_from_source(
                    str(umbrella),
                    [str(h) for h in headers],
                    "sm_90",
                    cudatoolkit_include_dirs=[str(include_dir), *map(str, cuda_dirs)],
                    cxx_standard="c++17",
                    defines=clang.defines,
                    clang_binary=clang.path,
                )
        except pylibastcanopy.ParseError as exc:
            errors, count = first_errors(str(exc))
            where = errors[0] if errors else str(exc).strip().splitlines()[0]
            more = f" (and {count - 1} more errors)" if count > 1 else ""
            raise BindgenError(
                f"CUB headers in {include_dir} do not parse: {where}{more}; check that the folder is a "
                "complete CCCL include folder and that clang is 19 or 22"
            ) from None
        except (FileNotFoundError, RuntimeError, ValueError) as exc:
            raise BindgenError(f"ast_canopy could not run: {exc}") from None
