"""Every input's budget, in one place, checked before anything is allocated.

Why a budget at all: people open files from classmates and the web and point the studio at
folders of data. A 5 KB file may ask for gigabytes (64 layers drawn by an initialiser), a
header may claim more values than the file holds, and `/dev/zero` never ends. Each reader
checks the figure a file declares against these limits first and refuses with a message that
names the limit and the figure, so nothing is read, inflated or allocated beyond them.

The limits are generous for everything the studio is for (MNIST-sized networks and data)
and are stated in docs/file-format.md.
"""

from __future__ import annotations

from nnstudio.core.errors import ShapeError

#: Neurons in one layer (and inputs to the network).
MAX_SIZE = 4096

#: Bytes read from a `.nnstudio` file (JSON text).
NETWORK_FILE_BYTES = 256 * 2**20
#: Memory reading one `.nnstudio` file may take at its peak: READ_MEMORY_FACTOR × its size +
#: READ_MEMORY_OVERHEAD. A file whose reading would take more is refused, with the figures, before it
#: is parsed (nnstudio/io/bounded_json.py); every file nnstudio writes reads well within it.
READ_MEMORY_FACTOR = 4
READ_MEMORY_OVERHEAD = 64 * 2**20
#: Weights and biases in one network, all layers together (64 MiB as float64). Chosen so that the
#: largest network, saved with every value at full precision (≤ 26 bytes each), still fits in a file
#: of NETWORK_FILE_BYTES and so opens again; tests/io/test_hostile_files.py checks the arithmetic.
MAX_PARAMETERS = 2**23
#: Weights a network file may ask to be drawn by an initialiser (`"weights": {"init": "he"}`) rather than
#: hold: 32 MiB as float64, so a file of a few hundred bytes stays within what reading may cost for any
#: file (4× its size + 64 MiB, see io/bounded_json.py). A larger network is saved with its weights.
MAX_DRAWN_WEIGHTS = 2**22
#: Layers in one network.
MAX_LAYERS = 128
#: Values one sample's forward pass gives in a network with convolutional or pooling layers: its input and every
#: layer's maps (or neurons), summed. A trace keeps z and a of each, so this is 32 MiB a sample in float64
#: (LeNet-5 gives about 9,000). Counted from the shapes alone and checked before any map is computed.
MAX_ACTIVATIONS = 2**21
#: Named samples kept in one network file, and the numbers they hold together.
MAX_FILE_SAMPLES = 10_000
MAX_SAMPLE_VALUES = 1_000_000
#: Bytes of a `.npz` weights file (the archive as stored).
NPZ_FILE_BYTES = 1 * 2**30
#: Bytes of one IDX file, as stored and after gzip inflation.
IDX_BYTES = 1 * 2**30
#: Bytes of a CSV file, and its rows.
CSV_BYTES = 256 * 2**20
#: Samples in one dataset (a split of IDX, CSV rows, a typed function's points).
MAX_DATASET_SAMPLES = 1_000_000
#: Features (inputs) per sample: one per input neuron.
MAX_FEATURES = MAX_SIZE
#: Numbers in one dataset's inputs (samples × features): 1 GiB as float32.
MAX_DATASET_VALUES = 2**28
#: Training runs kept in one document and file, and the epoch rows one run keeps (a longer run is
#: thinned to this many, first and last kept), so a run history costs what its file size says.
MAX_RUNS = 64
MAX_RUN_ROWS = 10_000
#: Epochs of one training run (the command line's --epochs, the window's spin box, a file's records).
MAX_EPOCHS = 1_000_000
#: Characters of typed expressions (not plain numbers) evaluated from one file or one paste: each
#: costs microseconds a character in the safe parser, so this bounds how long a file takes to load.
MAX_EXPRESSION_CHARACTERS = 200_000
#: Working memory one forward-and-backward step may need; a larger step is refused before it starts.
STEP_MEMORY_BYTES = 2**30
#: Values one sample's convolution or pooling lays out as its windows (C·k²·Ho·Wo, conv.py's im2col): a step's
#: whole budget in float64. The activation budget does not bound it: 1x1000x1000-c1k500 gives 1.25 M values a
#: sample but its windows are 62.8 G values (468 GiB), which the document's first forward pass asked numpy for.
MAX_WINDOW_VALUES = STEP_MEMORY_BYTES // 8

__all__ = [
    "CSV_BYTES", "IDX_BYTES", "MAX_ACTIVATIONS", "MAX_DATASET_SAMPLES", "MAX_DATASET_VALUES", "MAX_DRAWN_WEIGHTS", "MAX_EPOCHS", "MAX_EXPRESSION_CHARACTERS",
    "MAX_FEATURES", "MAX_FILE_SAMPLES", "MAX_LAYERS", "MAX_PARAMETERS", "MAX_RUNS", "MAX_RUN_ROWS",
    "MAX_SAMPLE_VALUES", "MAX_SIZE", "MAX_WINDOW_VALUES", "NETWORK_FILE_BYTES", "NPZ_FILE_BYTES", "READ_MEMORY_FACTOR",
    "READ_MEMORY_OVERHEAD", "STEP_MEMORY_BYTES",
    "check_dataset_size", "check_network_size", "check_spatial_network_size", "count_parameters", "describe_bytes",
]


def count_parameters(sizes: list[int], biases: list[bool]) -> int:
    """Weights and biases of dense layers of these sizes (input first), from the sizes alone."""
    return sum(a * b + (b if bias else 0) for a, b, bias in zip(sizes[:-1], sizes[1:], biases))


def check_network_size(sizes: list[int], biases: list[bool] | None = None) -> None:
    """Refuse layer sizes over the layer, size or parameter budget before anything is allocated."""
    if len(sizes) - 1 > MAX_LAYERS:
        raise ShapeError(f"{len(sizes) - 1} layers; a network may have at most {MAX_LAYERS}")
    for index, size in enumerate(sizes):
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_SIZE:
            what = "input size" if index == 0 else f"layer {index} size"
            raise ShapeError(f"{what} must be a whole number from 1 to {MAX_SIZE}, got {size!r}")
    total = count_parameters(sizes, biases if biases is not None else [True] * (len(sizes) - 1))
    if total > MAX_PARAMETERS:
        raise ShapeError(f"{'-'.join(map(str, sizes))} would hold {total:,} weights and biases; "
                         f"a network may hold at most {MAX_PARAMETERS:,}")


def check_spatial_network_size(layers: int, parameters: int, activations: int, described: str) -> None:
    """Refuse a network with convolutional or pooling layers over the layer, parameter or activation budget,
    from its numbers alone (`described` is its shapes as a message shows them, "1×28×28 → 6×24×24 → …").

    Why its own check: its layers' outputs are maps, C·H·W values each, which may pass MAX_SIZE (LeNet's
    first layer gives 6×28×28 = 4,704), so what bounds its memory is the sum of the maps, not each layer."""
    if layers > MAX_LAYERS:
        raise ShapeError(f"{layers} layers; a network may have at most {MAX_LAYERS}")
    if parameters > MAX_PARAMETERS:
        raise ShapeError(f"{described} would hold {parameters:,} weights, kernel values and biases; "
                         f"a network may hold at most {MAX_PARAMETERS:,}")
    if activations > MAX_ACTIVATIONS:
        raise ShapeError(f"{described} gives {activations:,} values per sample (its input and every layer's maps); "
                         f"a network may give at most {MAX_ACTIVATIONS:,}")


def check_dataset_size(where: str, samples: int, features: int, error: type[Exception]) -> None:
    """Refuse a dataset of `samples` × `features` over the sample, feature or value budget, naming the figures."""
    if samples > MAX_DATASET_SAMPLES:
        raise error(f"{where}: {samples:,} samples; a dataset may hold at most {MAX_DATASET_SAMPLES:,}")
    if not 1 <= features <= MAX_FEATURES:
        raise error(f"{where}: {features:,} inputs per sample; a network takes 1 to {MAX_FEATURES:,}")
    if samples * features > MAX_DATASET_VALUES:
        raise error(f"{where}: {samples:,} samples × {features:,} inputs = {samples * features:,} numbers; "
                    f"a dataset may hold at most {MAX_DATASET_VALUES:,}")


def describe_bytes(count: int) -> str:
    """`count` bytes in words a person reads at a glance: 256 MiB, 3.2 GiB, 900 bytes."""
    if count >= 2**50:  # beyond any real file; may be too large for a float (a header's product of dimensions)
        return f"about 2^{count.bit_length() - 1} bytes"
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            value = count / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{count} bytes"
