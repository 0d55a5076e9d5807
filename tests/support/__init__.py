"""Helpers shared by several test folders: synthetic data and numpy references written for the tests."""
