"""Entry point: ``python -m standins.wan2gp [knobs]`` (PYTHONPATH=scripts), used by scripts/wan2gp-standin."""

from __future__ import annotations

import sys

from .knobs import parse_args

if __name__ == "__main__":
    knobs = parse_args()  # before importing gradio (3 s), so --help and bad options answer at once
    from .server import main

    sys.exit(main(knobs))
