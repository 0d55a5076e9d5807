"""Makes tests/data/torch_mlp.onnx and torch_mlp.expected.json, once, with PyTorch's own ONNX exporter.

The import test reads the ONNX file as a model from elsewhere would come: written by
`torch.onnx.export` (the TorchScript exporter, opset 17), not by nnstudio. The outputs PyTorch
computed for fixed inputs are recorded beside it, with the versions that made them, so the test
needs no torch. Run again only to remake the files:

    pip install torch==2.13.0 onnx
    python tests/data/make_torch_mlp_onnx.py
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).parent


def main() -> None:
    torch.manual_seed(17)
    model = torch.nn.Sequential(
        torch.nn.Flatten(),                 # a 1 × 4 × 4 image in, as a small MNIST
        torch.nn.Linear(16, 8), torch.nn.ReLU(),
        torch.nn.Linear(8, 6, bias=False), torch.nn.GELU(),
        torch.nn.Linear(6, 5), torch.nn.Tanh(),
        torch.nn.Linear(5, 3), torch.nn.Softmax(dim=-1),
    ).eval()
    inputs = torch.from_numpy(np.random.default_rng(5).uniform(0, 1, size=(4, 1, 4, 4)).astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (inputs,), HERE / "torch_mlp.onnx", dynamo=False, opset_version=17,
                          input_names=["image"], output_names=["probabilities"],
                          dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}})
    with torch.no_grad():
        outputs = model(inputs)
    import onnx

    record = {"made_by": "tests/data/make_torch_mlp_onnx.py", "torch": torch.__version__, "onnx": onnx.__version__,
              "exporter": "torch.onnx.export(dynamo=False, opset_version=17)",
              "inputs": inputs.reshape(4, 16).tolist(), "outputs": outputs.tolist(),
              "sizes": [16, 8, 6, 5, 3], "activations": ["relu", "gelu", "tanh", "softmax"], "biases": [True, False, True, True]}
    (HERE / "torch_mlp.expected.json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
