"""``python -m standins.wavespeed``: see :mod:`standins.wavespeed.cli`."""

from .cli import main

raise SystemExit(main())
