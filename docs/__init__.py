"""The user guide (guide.md, with its pictures in images/) and the file-format reference.

Shipped inside the package as `nnstudio.docs` (see pyproject.toml), so Help → User guide opens
the same text from a wheel as from a checkout. The pictures are made by
scripts/guide_screenshots.py from the real window.
"""
