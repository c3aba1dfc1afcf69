"""The package list for setuptools; everything else is in pyproject.toml.

Every package under bindgen/, cub_bindings/ and coop/ (namespace folders too), and the
repository's top-level overrides/ folder installed as ``bindgen.overrides``, where
``bindgen.resources`` finds it in a wheel and in an editable install alike.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=find_namespace_packages(include=["bindgen*", "cub_bindings*", "coop*"], exclude=["*.__pycache__"])
    + ["bindgen.overrides"],
    package_dir={"bindgen.overrides": "overrides"},
)
