"""Generated from the CUB headers by ``python -m bindgen``; do not edit by hand.

``ir/cub-<version>.json`` holds the typed IR of each CUB release scanned so far
(see ``bindgen.snapshots``).
"""
