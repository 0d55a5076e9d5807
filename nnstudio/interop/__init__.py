"""Other tools' formats: ONNX and safetensors in and out, and runnable numpy and PyTorch scripts.

Plain Python and numpy, no Qt. `formats` is the door: it names every format, exports a
project and imports a model file; the optional libraries (onnx, safetensors) are imported
only there, on use. The `.nnstudio` format itself lives in `nnstudio.io`, which this package
builds on and which never imports it.
"""
