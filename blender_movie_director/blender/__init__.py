"""Blender helpers with no add-on state: version compatibility, frames, the VSE, the timer shell.

These import nothing from the layers above. Main thread only where they touch ``bpy``.
"""
