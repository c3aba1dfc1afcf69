"""Render docs/errors.md, the misuse catalogue, from tests/misuse_cases.py: each case's code
and the CoopError message it raises (every case is compiled; they fail while typing, so this
takes seconds).

    .venv/bin/python scripts/errors_doc.py --write   # regenerate docs/errors.md
    .venv/bin/python scripts/errors_doc.py --check   # exit status 1 if it is stale
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import misuse_cases as mc  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write docs/errors.md")
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/errors.md is not current")
    args = ap.parse_args(argv)
    text = mc.render({c.id: mc.normalized(mc.error_of(c)) for c in mc.CASES})
    path = ROOT / mc.DOC
    if args.write:
        path.write_text(text)
        print(f"wrote {mc.DOC}: {len(mc.CASES)} cases")
    elif args.check:
        current = path.read_text() if path.exists() else ""
        if current != text:
            print(f"{mc.DOC} is stale: run .venv/bin/python scripts/errors_doc.py --write", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
