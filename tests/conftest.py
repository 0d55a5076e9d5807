"""Test setup shared by every test.

The offscreen Qt platform is selected here, before anything imports Qt, so the
README's test command needs no display and no environment variable.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
