"""Wan2GP (WanGP 12.60) stand-in server: a Gradio app a gradio_client user cannot tell from the real one.

Run through ``scripts/wan2gp-standin``; see docs/standins/wan2gp.md.
"""
