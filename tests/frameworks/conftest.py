"""Framework tests use tests/conftest.py's ``serve``; this keeps their leaks here."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="module")
def collect_garbage_after_the_module() -> Iterator[None]:
    """Finalize what the frameworks left for the garbage collector, here and now.

    A framework that leaves a file unclosed in a reference cycle makes it warn (an error
    under filterwarnings=error) wherever the collector next runs, in any later test
    directory; collecting here keeps the blame in tests/frameworks.
    """
    yield
    gc.collect()
