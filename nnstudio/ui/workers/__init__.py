"""Work that runs off the UI thread; only signals cross back."""
