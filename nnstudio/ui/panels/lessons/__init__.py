"""The Lessons dock: the list of lessons, a lesson's page, and its task."""
