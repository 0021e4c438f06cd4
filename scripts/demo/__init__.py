"""The demo behind ``scripts/demo.sh``: a small film built in real Blender and generated end to end.

Run by ``scripts/demo.sh`` with the project's test environment (the real ``bpy`` module) as
``python -m demo`` (``scripts/`` on ``PYTHONPATH``). Modules:

- :mod:`.options`: the command line.
- :mod:`.console`: what the demo prints (steps, the progress bar, the summary).
- :mod:`.standin`: the local Wan2GP stand-in server, in its own process.
- :mod:`.film`: the film (a small 3D set, cameras with prompts, a keyframed move, a still for image to video).
- :mod:`.generate`: every shot through the extension's own job path (the N-panel's "Preview All").
- :mod:`.outputs`: storyboard PNG, the .blend, and Blender's own render of the Sequencer to an MP4.
- :mod:`.run`: the whole run, in order.
"""
