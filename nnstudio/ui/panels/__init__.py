"""Dock panels: inspector, input/output, matrix editor. Each talks to the document only."""
