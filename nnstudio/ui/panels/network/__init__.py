"""Panels for what the network is and does on one input: the inspector, input and output, the matrix editor, the step-through, the memory view, and the dialogs that build a network."""
