"""The network canvas: a scene that mirrors the document, and the view that zooms and pans it."""
