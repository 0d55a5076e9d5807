"""Makes tests/data/sklearn_mlp/*.onnx and *.expected.json, once, with scikit-learn and skl2onnx.

The import tests read these files as models from elsewhere come: converted by `skl2onnx.to_onnx`
with its defaults (the Cast before the first layer, the label branch beside the probabilities, the
ZipMap, a two-class model's [1 − p, p], a regressor's closing Reshape, a StandardScaler's Scaler),
not by nnstudio. What scikit-learn itself computes for 100 fixed inputs (`predict_proba` for a
classifier, `predict` for a regressor) is recorded beside each file, with the versions that made
it, so the tests need neither scikit-learn nor skl2onnx. Run again only to remake the files:

    pip install scikit-learn skl2onnx onnx
    python tests/data/make_sklearn_mlp_onnx.py

Small on purpose (8 inputs, hidden layers of at most 12, values rounded in the JSON) so the files
stay a few KB each. A regressor has one target: skl2onnx reshapes every regressor's output to
[-1, 1], which is only a no-op for one target (onnx/sklearn-onnx#474).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent / "sklearn_mlp"
FEATURES = 8
ACTIVATIONS = ("relu", "tanh", "logistic", "identity")
# scikit-learn's activation names → nnstudio's, for the expected network
NNSTUDIO = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "identity"}


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training inputs, and 100 test inputs rounded to 2 decimals so the JSON holds them exactly as used."""
    rng = np.random.default_rng(seed)
    train = rng.normal(size=(400, FEATURES)).astype(np.float32)
    test = np.round(rng.normal(size=(100, FEATURES)), 2).astype(np.float32)
    return train, test


def _targets(x: np.ndarray, classes: int | None) -> np.ndarray:
    """A smooth function of the inputs the networks can learn a little of (classes: its quantiles)."""
    score = np.sin(x[:, 0]) + x[:, 1] * x[:, 2] - 0.5 * x[:, 3] + 0.3 * x[:, 4:].sum(axis=1)
    if classes is None:
        return score
    cuts = np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1])
    return np.searchsorted(cuts, score)


def _models():  # type: ignore[no-untyped-def]
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    for index, activation in enumerate(ACTIVATIONS):
        hidden = (12,) if index % 2 == 0 else (10, 6)
        for kind, classes in (("classifier2", 2), ("classifier10", 10), ("regressor", None)):
            make = MLPRegressor if classes is None else MLPClassifier
            model = make(hidden_layer_sizes=hidden, activation=activation, max_iter=300, random_state=index)
            yield f"{kind}_{activation}", model, classes, None
    # Features on scales far from 1, so the StandardScaler's offsets and scales matter. In float32 skl2onnx
    # writes the scaler as an ONNX-ML Scaler; in float64 (which Scaler cannot compute) as Sub then Div.
    spread = (np.arange(FEATURES) - 3.0) * 4.0, 2.0 ** np.arange(-3.0, FEATURES - 3)
    model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(12,), max_iter=300, random_state=7))
    yield "pipeline_standard_scaler_classifier3", model, 3, (spread, np.float32)
    model = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(10,), activation="tanh", max_iter=300,
                                                         random_state=8))
    yield "pipeline_standard_scaler_regressor_float64", model, None, (spread, np.float64)


def _rounded(values: np.ndarray, digits: str) -> list:
    """Values as short decimals, so a file stays a few KB: inputs exactly as used (2 decimals), probabilities
    to 6 decimals and predictions to 7 significant digits, both far inside the 1e-5 the tests allow."""
    return [[float(format(float(v), digits)) for v in row] for row in values]


def main() -> None:
    import onnx
    import skl2onnx
    import sklearn
    from skl2onnx import to_onnx

    HERE.mkdir(exist_ok=True)
    for seed, (name, model, classes, spread) in enumerate(_models()):
        train, test = _data(seed)
        y = _targets(train, classes)
        if spread is not None:
            (offset, scale), dtype = spread
            train, test = (train * scale + offset).astype(dtype), np.round(test * scale + offset, 2).astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: 300 iterations are enough for a test
            model.fit(train, y)
            onx = to_onnx(model, train[:1])
        (HERE / f"{name}.onnx").write_bytes(onx.SerializeToString())
        outputs = model.predict_proba(test) if classes else model.predict(test)[:, None]
        mlp = model[-1] if hasattr(model, "steps") else model
        record = {
            "made_by": "tests/data/make_sklearn_mlp_onnx.py", "scikit-learn": sklearn.__version__,
            "skl2onnx": skl2onnx.__version__, "onnx": onnx.__version__,
            "converter": "skl2onnx.to_onnx(model, X[:1]) (defaults: ZipMap on)", "model": repr(model),
            "method": "predict_proba" if classes else "predict", "dtype": str(test.dtype),
            "sizes": [FEATURES, *mlp.hidden_layer_sizes, 1 if classes in (None, 2) else classes],
            "activations": [NNSTUDIO[mlp.activation]] * len(mlp.hidden_layer_sizes)
            + [{None: "identity", 2: "sigmoid"}.get(classes, "softmax")],
            "classes": [str(c) for c in mlp.classes_] if classes else None,
            "inputs": _rounded(test, ".2f"), "outputs": _rounded(outputs, ".6f" if classes else ".7g"),
        }
        (HERE / f"{name}.expected.json").write_text(json.dumps(record, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
