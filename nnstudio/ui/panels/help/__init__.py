"""Panels for the user guide and the shortcuts list, both made from the app's own files and actions."""
