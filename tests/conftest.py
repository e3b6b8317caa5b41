"""Fixtures every test can ask for: the recorded Zendesk samples."""

from collections.abc import Callable

import pytest

from tests.support.paths import SAMPLES


@pytest.fixture
def sample() -> Callable[[str], bytes]:
    """Load one of the recorded/assembled Zendesk responses by file name."""
    def load(name: str) -> bytes:
        return (SAMPLES / name).read_bytes()
    return load
