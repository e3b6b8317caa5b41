"""Shared test helpers: paths to the recorded Zendesk samples."""

import json
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "fixtures" / "zendesk-samples"


@pytest.fixture
def sample():
    """Load one of the recorded/assembled Zendesk responses by file name."""
    def load(name: str) -> bytes:
        return (SAMPLES / name).read_bytes()
    return load


def load_json(raw: bytes):
    return json.loads(raw)
