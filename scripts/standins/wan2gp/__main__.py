"""Entry point: ``python -m wan2gp [knobs]`` (cwd = scripts/standins), used by scripts/wan2gp-standin."""

from __future__ import annotations

import sys

from .server import main

if __name__ == "__main__":
    sys.exit(main())
