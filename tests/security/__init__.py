"""Attacks replayed with real parts: a shared .blend, a job store or a server's answer is untrusted input."""
