"""Requests: scene state turned into frozen ``GenerationRequest`` + ``Credentials`` for the backends.

Built on the main thread at submit time from today's preferences; the results are immutable and safe to
hand to worker threads.
"""
