
import os

import pytest

from bindgen import snapshots


def _has_gpu() -> bool:
    try:
        from numba import cuda

        return cuda.is_available() and len(cuda.gpus) > 0
    except Exception:
        return False


def pytest_configure(config):
    config.addinivalue_line("markers", "simulator: runs only under the CUDA simulator (NUMBA_ENABLE_CUDASIM=1)")


def pytest_collection_modifyitems(config, items):
    # COOP_DRYRUN: scripts/gpu_dryrun.py compiles the GPU tier without a GPU
    if any(item.get_closest_marker("gpu") for item in items) and not _has_gpu() and not os.environ.get("COOP_DRYRUN"):
        skip = pytest.mark.skip(reason="no CUDA GPU on this machine")
        for item in items:
            if item.get_closest_marker("gpu"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def scanned():
    """The installed (pinned) CUB headers, scanned once per test session."""
    from bindgen.scan import scan_headers

    return scan_headers()


@pytest.fixture(scope="session")
def snap35():
    return snapshots.load(snapshots.path_for("3.5.0"))


@pytest.fixture(scope="session")
def snap30():
    return snapshots.load(snapshots.path_for("3.0.1"))
