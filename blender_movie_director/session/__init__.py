"""Session: the main-thread side of the job engine.

The engine (one JobManager per output folder), submitting shots, the drain that hands worker events to
its consumers (shot jobs, strip jobs), and the connection check. Workers post immutable events; only the
drain, called from the one timer, touches Blender data.
"""
