"""Entry point: ``python -m standins.wan2gp_mcp [knobs]`` (PYTHONPATH=scripts): ``wan2gp-standin --mcp``.

Threading: the main thread parses the knobs, then runs the server (``app.main``).
"""

from __future__ import annotations

import sys

from .knobs import parse_args

if __name__ == "__main__":
    knobs, options = parse_args()
    from .app import main

    sys.exit(main(knobs, options))
