"""Panels for a training run: its settings, its rules, and the live plot."""
