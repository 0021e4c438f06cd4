"""The stand-ins' own suites drive them with plain gradio_client, as a user's script would."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _gradio_client_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """gradio_client's file download leaves an empty ``<tempdir>/<40 hex>`` folder per file (it streams
    into it, then moves the file to ``download_files``): keep those in the test's own folder."""
    folder = tmp_path / "gradio_client_tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
