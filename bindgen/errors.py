"""User-facing errors: one line that says what went wrong and what to do."""


class BindgenError(Exception):
    """An error the CLI prints as a single line (no traceback) before exiting with status 2."""
