"""bpy-free backends: shared types (base), the Wan2GP client (wan2gp), the WaveSpeed provider (wavespeed).

Importing this package is cheap: the subpackages that need gradio_client, httpx or pydantic load them
on first use.
"""
