"""The Qt user interface: renders and edits a document; holds no maths of its own."""
