"""Data, not code: ir.toml and bindings.toml, installed with bindgen as ``bindgen.overrides``."""
