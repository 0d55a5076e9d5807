"""Test setup shared by every test.

The offscreen Qt platform is selected here, before anything imports Qt, so the
README's test command needs no display and no environment variable.
"""

import os
import tracemalloc

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def peak_memory():
    """peak_memory(action) -> (what `action()` returned or raised, peak bytes Python and numpy allocated meanwhile).

    How the hostile-input tests prove "refused before allocating": numpy reports its buffers to
    tracemalloc, so an array the size a file claims would show here.
    """
    def measure(action):
        tracemalloc.start()
        try:
            try:
                result = action()
            except Exception as error:  # noqa: BLE001 - the test inspects it
                result = error
            return result, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    return measure
