"""Write (or check) the sha256 sidecars of the hand-curated knowledge-base files.

The knowledge base (``src/immunescape/kb/data/*.yaml``) is curated by hand and reviewed
(``docs/knowledge_base.md``); the package reads every shipped file through
``immunescape._resources.read_resource``, which refuses a file whose digest differs from its
``<file>.sha256`` sidecar (``sha256sum`` format). Run this after editing a KB file:

    python scripts/kb_checksums.py          # rewrite the sidecars
    python scripts/kb_checksums.py --check  # exit 1 if a sidecar is stale or missing
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "src" / "immunescape" / "kb" / "data"


def sidecar_text(path: Path) -> str:
    """Return the ``sha256sum`` line of one file."""
    return f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"


def main(argv: list[str] | None = None) -> int:
    """Write or check the sidecar of every YAML file of the knowledge base."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path in sorted(DATA.glob("*.yaml")):
        side = path.with_name(path.name + ".sha256")
        want = sidecar_text(path)
        if side.is_file() and side.read_text(encoding="ascii") == want:
            continue
        stale.append(path.name)
        if not args.check:
            side.write_text(want, encoding="ascii")
    verb = "stale or missing" if args.check else "written"
    print(f"{len(stale)} sidecar(s) {verb}" + (f": {', '.join(stale)}" if stale else ""))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
