"""Scene: what the .blend holds and how to read it.

Preference readers, property groups, backend display labels, shots, takes, camera prompt and motion,
storyboard, and the button that fixes each kind of failure (fixes). Main thread only (reads and writes
``bpy.data``), except the bpy-free camera_motion and fixes.
"""
