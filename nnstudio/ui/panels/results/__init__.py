"""Panels for what a trained network does: the results dock (confusion, gallery, pad, boundary, units) and the runs kept in the file."""
