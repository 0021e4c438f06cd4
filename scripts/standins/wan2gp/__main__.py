"""Entry point: ``python -m standins.wan2gp [knobs]`` (PYTHONPATH=scripts), used by scripts/wan2gp-standin."""

from __future__ import annotations

import sys

from .server import main

if __name__ == "__main__":
    sys.exit(main())
