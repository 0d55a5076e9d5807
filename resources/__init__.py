"""Data the app ships (examples, icons). Installed as the package `nnstudio.resources`.

This file exists so `importlib.resources.files("nnstudio.resources")` finds the
folder from a wheel, an editable install and a source checkout alike.
"""
