"""WaveSpeed stand-in: a local HTTP server that speaks the WaveSpeed v3 REST protocol.

Run it with ``scripts/wavespeed-standin --port P [knobs]``. Standard library only, apart from the
video writer it shares with the Wan2GP stand-in (``standins.videogen``: numpy, pillow, av).
See ``docs/standins/wavespeed.md`` for what it reproduces and which knobs cover the unknowns.
"""
