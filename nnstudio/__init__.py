"""nnstudio: a desktop studio for seeing inside neural networks.

This module holds the version only, so that importing any sub-package stays cheap
and never pulls in Qt.
"""

__version__ = "0.1.0"
