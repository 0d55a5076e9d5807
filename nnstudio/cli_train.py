"""The commands that run over a dataset: `nnstudio train`, and `nnstudio eval --dataset`.

    nnstudio train FILE|EXAMPLE [--dataset NAME] --out FILE   train and save, the run recorded in the file;
                                                              without --dataset, on the set saved with it
    nnstudio eval FILE|EXAMPLE --dataset NAME                 loss and accuracy on the dataset's test split

`train` drives the same `training.train` generator as the window and records the run as the window does, so
Results → Runs lists it beside the window's runs. A progress bar on stderr shows downloads and epochs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

import numpy as np

from nnstudio.atomic import check_can_write
from nnstudio.cli_maps import network_words
from nnstudio.cli_messages import UsageError, end_progress_line, error_line, progress_bar, say
from nnstudio.core.errors import NNStudioError
from nnstudio.core.expr import evaluate_number
from nnstudio.core.network import Network
from nnstudio.core.project import DataChoice, DataChoiceError, Project
from nnstudio.core.spatial_layers import show_shape
from nnstudio.core.step_memory import check_step_memory, samples_within_budget
from nnstudio.core.trace import forward
from nnstudio.io.examples import load_file_or_example
from nnstudio.io.network_file import save_project


def _load_data(args: argparse.Namespace, show: bool, project: Project,  # type: ignore[no-untyped-def]
               dtype: str = "float32"):
    """The dataset's train/test split, its values in `dtype` (the precision of the run it is for), its test part
    the one saved with `project` (so `eval --dataset` holds out what `train` held out), else a quarter."""
    from nnstudio.data.named import load_named

    bar = progress_bar(show)
    fraction = project.training_data.test_fraction if project.training_data is not None else 0.25
    split_data = load_named(args.dataset, args.data_dir, seed=args.seed, test_fraction=fraction,
                            progress=lambda name, done, total: bar(f"downloading {name}", done, total), dtype=dtype)
    return split_data


def _data_choice(args: argparse.Namespace, project: Project) -> DataChoice:
    """What `train` runs on, to be saved with the trained network: --dataset (and --data-dir), else the set
    saved with the network, whose folder --data-dir may override; args.dataset and args.data_dir are filled in."""
    from nnstudio.data.image_sets import IMAGE_SETS

    saved = project.training_data
    if args.dataset is None:
        if saved is None:
            raise UsageError(f"{args.network} saves no training data; give a dataset, e.g. --dataset mnist")
        args.dataset, args.data_dir = saved.dataset, args.data_dir or saved.folder or None
    try:
        return DataChoice(args.dataset, (args.data_dir or "") if args.dataset in IMAGE_SETS else "",
                          saved.test_fraction if saved is not None else 0.25)
    except DataChoiceError as error:
        raise UsageError(f"--{'data-dir' if error.field == 'folder' else 'dataset'}: {error.reason}") from None


def _check_maps_fit(project: Project, train_set: Any) -> None:
    """Refuse, before the run starts, a dataset whose samples are not the network's input maps, naming both
    counts and the maps' shape (the trainer's own refusal counts inputs only)."""
    net = project.network
    if net.input_shape is not None and train_set.n_features != net.input_size:
        raise UsageError(f"the network takes maps {show_shape(net.input_shape)} = {net.input_size} values per sample "
                         f"but {train_set.name} has {train_set.n_features} features")


def _products(network: Network) -> str:
    """Which library does the run's large products: FastConv (a network with maps) uses numpy's matmul, whose
    OpenBLAS runs a convolution's skinny products faster (training/conv_engine.py); FastMLP the one blas.py chose."""
    from nnstudio.training import blas  # imported with the trainer, as run_train does

    return "numpy's matmul" if network.is_spatial else blas.library().name


def run_train(args: argparse.Namespace) -> int:
    """`nnstudio train`: train with the file's settings and the options' changes, save with the run recorded."""
    from nnstudio.core.limits import MAX_RUN_ROWS
    from nnstudio.core.run_comparison import run_start
    from nnstudio.core.runs import with_run
    from nnstudio.data.catalogue import describe
    from nnstudio.data.dataset import normalise_split
    from nnstudio.training import EpochResult, StepProgress, TrainingConfig, drive, train
    from nnstudio.training.loop import Record
    from nnstudio.training.run_record import run_record, step_point
    from nnstudio.training.thinned import Thinned

    check_can_write(args.out)  # before minutes of training (and before the network is read), not after
    project = load_file_or_example(args.network)
    choice = _data_choice(args, project)
    data = _load_data(args, not args.quiet, project, args.precision)
    config = project.optimizer
    changes: dict[str, Any] = {}
    if args.lr is not None:
        try:
            changes["learning_rate"] = evaluate_number(args.lr)
        except NNStudioError as error:
            raise UsageError(f"--lr: {error}") from None
    if args.optimizer:
        changes["name"] = args.optimizer
    if args.l2 is not None:
        changes["l2"] = args.l2
    config = dataclasses.replace(config, **changes)
    normalised, norm = normalise_split(data, args.normalise)
    del data  # the raw inputs: a second copy of the data once normalised
    train_set, test_set = normalised.train, normalised.test
    from nnstudio.training.schedule import Schedule, StopRules

    if (args.early_stop or args.target_accuracy or args.restore_best) and not len(test_set):
        raise UsageError("--early-stop, --restore-best and --target-accuracy judge the test part; "
                         f"{args.dataset} has none here")
    if args.restore_best and not args.early_stop:
        raise UsageError("--restore-best goes with --early-stop EPOCHS")
    settings = TrainingConfig(epochs=args.epochs, batch_size=args.batch_size, optimizer=config, seed=args.seed,
                              dtype=args.precision, schedule=args.schedule or Schedule(),
                              stop=StopRules(args.target_accuracy, args.early_stop, args.restore_best))
    _check_maps_fit(project, train_set)
    bar = progress_bar(not args.quiet)
    say(f"training {network_words(project.network)} on {args.dataset}: {len(train_set)} training and "
         f"{len(test_set)} test samples, {args.epochs} epochs, batch {args.batch_size}, {config.name} "
         f"α = {config.learning_rate:g}"
         + (f" ({settings.schedule.describe()})" if settings.schedule.kind != "constant" else "")
         + f"; large products by {_products(project.network)}", flush=True)
    note = describe(args.dataset)
    if note is not None and note.note:
        say(note.note, flush=True)  # XOR: no test part is held out of its 4 points
    run = train(project.network, project.loss, train_set, test_set, settings)
    # The train-loss curve of the run's record, as the window keeps it: thinned, so a long run stays bounded.
    steps: Thinned[tuple[int, float]] = Thinned(MAX_RUN_ROWS)

    def report(record: Record) -> None:
        if isinstance(record, StepProgress):
            if record.curve:  # the curve's points; the others come by the clock, for the progress bar
                steps.add(step_point(record))
            bar(f"epoch {record.epoch}/{args.epochs}", record.step, record.steps_per_epoch)
        elif isinstance(record, EpochResult):
            end_progress_line()
            accuracy = "—" if record.test_accuracy is None else f"{record.test_accuracy:.2%}"
            rate = f"  α = {record.learning_rate:.4g}" if settings.schedule.kind != "constant" else ""
            print(f"epoch {record.epoch}: train loss {record.train_loss:.4f}  test loss {record.test_loss:.4f}  "
                  f"test accuracy {accuracy}  {record.samples_per_second:,.0f} samples/s{rate}", flush=True)

    result = drive(run, report)
    if result.stop_reason:
        print(f"stopped: {result.stop_reason}")
    if result.best_epoch is not None:
        print(f"kept the parameters of epoch {result.best_epoch} (the best test loss)")
    # The run's record, built as the window builds it, so Results → Runs lists it beside the window's runs.
    # Its start: the file's network, "continued from run K" when that is run K's end (worked out as the window does).
    start = run_start("as-is", project.network, settings.seed, project.runs)
    runs = with_run(project.runs, run_record(args.dataset, settings, result, steps.items(), start))
    trained = project.replace(network=result.network, optimizer=config, normalisation=norm.project_field(),
                              runs=runs, training_data=choice)
    save_project(trained, args.out)
    if result.error:
        error_line(f"nnstudio: {result.error}")
        say(f"saved the last finite parameters to {args.out}; the run is recorded in it (Runs, run {len(runs)})")
        return 1
    say(f"saved {args.out}; the run is recorded in it (Runs, run {len(runs)})")
    return 0


def run_eval_dataset(args: argparse.Namespace) -> int:
    """`nnstudio eval --dataset`: the loss and accuracy of the network on the dataset's test split."""
    from nnstudio.data.dataset import Normalisation
    from nnstudio.training.loop import check_fits
    from nnstudio.training.metrics import evaluate_outputs

    project = load_file_or_example(args.network)
    test = _load_data(args, False, project).test
    net = project.network
    check_fits(net, test)
    norm = Normalisation.from_project_field(project.normalisation)
    check_step_memory(net, backward=False, what="an evaluation")
    chunk = min(1024, samples_within_budget(net))  # the samples one forward pass takes within the step budget
    outputs = np.concatenate([forward(net, norm.apply_in(test.x[lo:lo + chunk], net.dtype)).output
                              for lo in range(0, len(test), chunk)])
    loss, accuracy, _, _ = evaluate_outputs(outputs, test, project.loss, net.layers[-1].activation)
    if args.json:
        print(json.dumps({"loss": loss, "accuracy": accuracy, "n": len(test)}))
    else:
        shown = "—" if accuracy is None else f"{accuracy:.2%}"
        say(f"{args.dataset} test split: n = {len(test)}  loss ({project.loss}) = {loss:.6g}  accuracy = {shown}")
    return 0
