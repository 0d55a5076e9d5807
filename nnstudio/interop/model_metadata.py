"""What a model file from elsewhere cannot say by its arrays alone: activations, loss, labels, and (for
safetensors, which has no graph to hold it) the input normalisation.

ONNX and safetensors exports carry it as text metadata (ONNX `metadata_props`, the safetensors
header's `__metadata__`), under the key `nnstudio`, so a round trip gives back the same project.
Reading it is as strict as reading a `.nnstudio` file: every field is checked, and a model without
it still imports (ONNX from its operators; safetensors with activations given by the user).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from nnstudio.core.activations import get_activation
from nnstudio.core.errors import NNStudioError
from nnstudio.core.losses import get_loss
from nnstudio.core.project import NORMALISATION_KINDS, Project
from nnstudio.io.errors import NetworkFileError

KEY = "nnstudio"
MAX_METADATA_BYTES = 1 << 20  # activations and labels of the largest network fit in far less
MAX_LABEL_CHARS = 200


@dataclass(frozen=True)
class ModelMetadata:
    """The project's facts a model file keeps beside its arrays."""

    activations: tuple[str, ...] = ()
    params: tuple[dict[str, float], ...] = ()
    loss: str = ""
    input_labels: tuple[str, ...] = ()
    output_labels: tuple[str, ...] = ()
    input_image: tuple[int, int] | None = None
    name: str = ""
    extra: dict = field(default_factory=dict)
    # Project.normalisation: {"kind", "offset", "scale"}, the arrays as lists of float64 (exact in JSON).
    normalisation: dict | None = None
    # A convolutional network's "input_shape" and "layers" (spatial_metadata.py), for a format whose tensors
    # alone cannot say a stride, a padding or a pooling (safetensors); None for a dense network.
    maps: dict | None = None

    @staticmethod
    def of(project: Project, normalisation: bool = True) -> "ModelMetadata":
        """The project's metadata; `normalisation=False` leaves the normalisation out, for a format whose
        graph computes it (ONNX), so the file has one record of it and an edited graph cannot contradict it."""
        layers = project.network.layers
        norm = project.normalisation if normalisation else None
        return ModelMetadata(tuple(layer.activation for layer in layers),
                             tuple(dict(layer.params) for layer in layers), project.loss, project.input_labels,
                             project.output_labels, project.input_image, project.name,
                             normalisation=None if norm is None else {
                                 "kind": norm["kind"], "offset": [float(v) for v in norm["offset"]],
                                 "scale": [float(v) for v in norm["scale"]]})

    def to_text(self) -> str:
        data = {"activations": list(self.activations), "params": [dict(p) for p in self.params],
                "loss": self.loss, "input_labels": list(self.input_labels),
                "output_labels": list(self.output_labels),
                "input_image": list(self.input_image) if self.input_image else None, "name": self.name}
        if self.normalisation is not None:
            data["normalisation"] = self.normalisation
        if self.maps is not None:
            data.update(self.maps)
        return json.dumps(data)


def _text(value: str, where: str, source: str) -> str:
    """`value`, refused when it holds a lone surrogate: JSON's "\\ud800" parses to one, and no file (nor the
    `.nnstudio` file an import writes) can hold it, so it is refused here rather than when saving."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise NetworkFileError(f"holds an unpaired surrogate \\u{ord(value[error.start]):04x} at character "
                               f"{error.start + 1}, which is not text", where, source) from None
    return value


def _number(value: object, where: str, source: str) -> float:
    """A finite number: JSON gives NaN, Infinity, 1e400 (as inf) and 10^400 (as an int no float holds)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NetworkFileError(f"{_shown(value)}: expected a finite number", where, source)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise NetworkFileError(f"{_shown(value)}: expected a finite number", where, source)
    return number


def _strings(value: object, what: str, source: str, count: int | None = None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= MAX_LABEL_CHARS for v in value):
        raise NetworkFileError(f"expected a list of texts (each at most {MAX_LABEL_CHARS} characters)",
                               f"{KEY} metadata: {what}", source)
    if count is not None and value and len(value) != count:
        raise NetworkFileError(f"expected {count}, got {len(value)}", f"{KEY} metadata: {what}", source)
    return tuple(_text(v, f"{KEY} metadata: {what}[{index}]", source) for index, v in enumerate(value))


def metadata_object(text: str | bytes, source: str) -> dict:
    """The metadata's JSON object, refused unless it is UTF-8 JSON of at most MAX_METADATA_BYTES."""
    if isinstance(text, bytes):  # protobuf hands over a string field that is not UTF-8 as bytes
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise NetworkFileError("is not UTF-8 text", f"{KEY} metadata", source) from None
    if len(text.encode("utf-8", "replace")) > MAX_METADATA_BYTES:
        raise NetworkFileError(f"is larger than {MAX_METADATA_BYTES} bytes", f"{KEY} metadata", source)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise NetworkFileError(f"is not JSON ({error})", f"{KEY} metadata", source) from None
    if not isinstance(data, dict):
        raise NetworkFileError("expected a JSON object", f"{KEY} metadata", source)
    return data


def parse_metadata(text: str | bytes, layers: int, inputs: int, outputs: int, source: str) -> ModelMetadata:
    """The metadata a model file carries, each field checked against the network's shape (a convolutional
    network's layers are read by spatial_metadata.py, before this, from the same text)."""
    data = metadata_object(text, source)
    activations = _strings(data.get("activations", []), "activations", source, layers)
    for name in activations:
        try:
            get_activation(name)
        except NNStudioError as error:
            raise NetworkFileError(str(error), f"{KEY} metadata: activations", source) from None
    params = data.get("params", [])
    if not isinstance(params, list) or (params and len(params) != layers) or not all(
            isinstance(p, dict) and all(isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                                        for k, v in p.items()) for p in params):
        raise NetworkFileError(f"expected {layers} objects of named numbers", f"{KEY} metadata: params", source)
    params = [{_text(k, f"{KEY} metadata: params[{index}]", source): _number(v, f"{KEY} metadata: params[{index}].{k}",
                                                                              source) for k, v in p.items()}
              for index, p in enumerate(params)]
    loss = data.get("loss", "")
    if not isinstance(loss, str):
        raise NetworkFileError("expected a loss name", f"{KEY} metadata: loss", source)
    if loss:
        try:
            loss = get_loss(loss).name  # an alias (cross_entropy) as the name a network file holds (cce)
        except NNStudioError as error:
            raise NetworkFileError(str(error), f"{KEY} metadata: loss", source) from None
    image = data.get("input_image")
    if image is not None:
        if not (isinstance(image, list) and len(image) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                                    and v > 0 for v in image)
                and image[0] * image[1] == inputs):
            raise NetworkFileError(f"expected [rows, columns] with rows × columns = {inputs}",
                                   f"{KEY} metadata: input_image", source)
        image = (image[0], image[1])
    name = data.get("name", "")
    name = _text(name, f"{KEY} metadata: name", source) if isinstance(name, str) else ""
    return ModelMetadata(activations, tuple(params), loss,
                         _strings(data.get("input_labels", []), "input_labels", source, inputs),
                         _strings(data.get("output_labels", []), "output_labels", source, outputs),
                         image, name,
                         normalisation=_normalisation(data.get("normalisation"), inputs, source))


def _shown(value: object) -> str:
    """A value quoted in a message, cut short: a hostile file's megabyte string stays out of the one line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _normalisation(value: object, inputs: int, source: str) -> dict | None:
    """The metadata's input normalisation, checked as a `.nnstudio` file's is: a kind, and one finite offset
    and one scale above 0 per input (a scale of 0 would divide by zero; a short list would silently shift
    every input after the gap)."""
    if value is None:
        return None
    where = f"{KEY} metadata: normalisation"
    if not isinstance(value, dict) or set(value) != {"kind", "offset", "scale"}:
        raise NetworkFileError("expected an object with kind, offset and scale", where, source)
    if value["kind"] not in NORMALISATION_KINDS:
        raise NetworkFileError(f"kind {_shown(value['kind'])}: expected {', '.join(NORMALISATION_KINDS)}", where,
                               source)
    arrays = {}
    for part in ("offset", "scale"):
        values = value[part]
        if not isinstance(values, list) or len(values) != inputs:
            got = f"{len(values)}" if isinstance(values, list) else "no list"
            raise NetworkFileError(f"expected {inputs} numbers, one per input; got {got}", f"{where}.{part}", source)
        numbers = [_number(v, f"{where}.{part}[{index}]", source) for index, v in enumerate(values)]
        for index, v in enumerate(numbers):
            if part == "scale" and v <= 0:
                raise NetworkFileError(f"{_shown(values[index])}: expected a finite number above 0",
                                       f"{where}.{part}[{index}]", source)
        arrays[part] = numbers
    return {"kind": value["kind"], **arrays}
