"""``python -m blender_movie_director``: the ``movie-director`` command line (see :mod:`.cli`)."""

from .cli import main

main()
