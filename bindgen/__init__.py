"""bindgen: reads the installed CUB headers into a typed, versioned IR.

``python -m bindgen --help`` lists the commands. The public entry points are
``scan.scan_headers`` (headers -> ``ir.Snapshot``), ``snapshots`` (checked-in IR files)
and ``diff.diff_snapshots``.
"""
