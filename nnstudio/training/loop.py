"""The training loop: a plain generator, so a CLI, a test or a Qt worker can drive it.

    run = train(network, "cce", train_set, test_set, config, control)
    for record in run: ...          # StepProgress now and then, EpochResult after each epoch
    result = run.value              # or: result = drive(run)

Each epoch shuffles (seeded), takes mini-batches (batch size 1 is the textbook's
per-sample SGD), and after it evaluates the test set. It works on its own copy
of the parameters, stops cooperatively between batches, can be paused, and if
the loss stops being a finite number it ends with a message naming the epoch and
step, keeping the last parameters that were finite. A dense network trains through FastMLP (engine.py), one
with maps through the core's exact step (core_engine.py); `make_engine` picks.

The train curve's points are chosen by step count (CURVE_POINTS a run, whatever the machine's speed;
see StepProgress.curve); a paced run (TrainingConfig.pace, training/pace.py) yields a ParameterSnapshot
every `steps_per_update` steps and waits out the pace through the control.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Generator

import numpy as np
from threadpoolctl import threadpool_limits

from nnstudio.core.errors import LossError, ShapeError
from nnstudio.core.limits import MAX_RUN_ROWS
from nnstudio.core.network import Network
from nnstudio.data.dataset import Dataset
from nnstudio.training import blas
from nnstudio.training.batches import ColumnBatches
from nnstudio.training.config import TrainingConfig
from nnstudio.training.control import TrainingControl
from nnstudio.training.conv_engine import FastConv
from nnstudio.training.engine import FastMLP
from nnstudio.training.metrics import evaluate_outputs
from nnstudio.training.pace import Pacer
from nnstudio.training.parameter_layout import Layers
from nnstudio.training.progress import EpochResult, ParameterSnapshot, StepProgress, TrainingResult
from nnstudio.training.schedule import StopWatch
from nnstudio.training.thinned import Thinned

Record = StepProgress | EpochResult | ParameterSnapshot
# FastMLP for dense networks, FastConv for networks with maps (both held to the core's exact path by the tests;
# training/core_engine.py is that path as an engine, the reference FastConv is compared with)
Engine = FastMLP | FastConv

# Beside a window (`TrainingControl.responsive`), products from this size on release the GIL
# (instead of blas.RELEASE_GIL_FROM), and batches too small for long sparse products stay
# dense (`ColumnBatches`' width rule). The window's thread takes the GIL dozens of times per
# frame; CPython hands it over when the trainer releases it for longer than the waiting
# thread takes to wake (a few µs here), or else only every 5 ms (the switch interval). The
# first layer's products at batch 1 (~10 µs each, GIL released) give it that chance every
# step; scipy's 1–3 µs sparse loops do not. Measured (bench_ui_latency.py, mnist-mlp, batch 1):
# event-loop p99 19 ms, against 340–400 ms with either the split or the GIL held; costs
# ~3 µs per product at batch 1.
RESPONSIVE_RELEASE_GIL_FROM = 1 << 16
# A train-curve point about every ⌈total steps / CURVE_POINTS⌉ steps, and one at the run's last step: so a run
# of ≥ 100 steps draws ≥ 100 points on any machine (they came by the clock: one MNIST epoch drew none at all).
CURVE_POINTS = 200


def check_fits(network: Network, dataset: Dataset) -> None:
    if network.input_size != dataset.n_features:
        raise ShapeError(f"the network takes {network.input_size} inputs but {dataset.name} has "
                         f"{dataset.n_features} features")
    binary = dataset.is_classification and dataset.n_outputs == 2 and network.output_size == 1
    if network.output_size != dataset.n_outputs and not binary:
        raise ShapeError(f"the network gives {network.output_size} outputs but {dataset.name} needs "
                         f"{dataset.n_outputs}")


def _check_targets(engine: Engine, train_set: Dataset, y_all: np.ndarray, test_set: Dataset | None,
                   outputs: int) -> None:
    """Refuse, before the first step and by name, targets the loss cannot take (a regression set's −1 with
    binary cross-entropy), in the training part and the test part alike."""
    try:
        engine.expect_targets(y_all)
    except LossError as error:
        raise LossError(f"{train_set.name}: {error}") from None
    if test_set is not None and len(test_set):
        try:
            engine.loss.check_targets(test_set.targets(engine.dtype, outputs))
        except LossError as error:
            raise LossError(f"{test_set.name} (test part): {error}") from None


def train(network: Network, loss: str, train_set: Dataset, test_set: Dataset | None, config: TrainingConfig,
          control: TrainingControl | None = None) -> Generator[Record, None, TrainingResult]:
    """Yield progress records while training; return the TrainingResult."""
    check_fits(network, train_set)
    blas.library()  # loaded before the limit below, which applies only to libraries already loaded
    limits = threadpool_limits(limits=config.blas_threads, user_api="blas") if config.blas_threads else None
    # Overflow while diverging is expected and reported by the loop itself (a non-finite
    # loss ends the run with a message), so numpy's warnings are off while it computes and
    # back on whenever control returns to the consumer.
    inner = _train(network, loss, train_set, test_set, config, control)
    try:
        while True:
            saved = np.seterr(all="ignore")
            try:
                record = next(inner)
            except StopIteration as done:
                return done.value
            finally:
                np.seterr(**saved)
            yield record
    finally:
        inner.close()
        if limits is not None:
            limits.restore_original_limits()


@dataclass
class _Run:
    """What one run carries from epoch to epoch: the engine and its batches, the clocks of its records, the
    samples seen, the last finite parameters, and whether it ended early (stopped, or with an error)."""

    engine: Engine
    batches: ColumnBatches
    samples: int                # in the training part
    batch: int                  # samples a step takes (the last step of an epoch may take fewer)
    steps_per_epoch: int
    snapshot: Layers | Network  # the last parameters known to be finite
    started: float
    last_report: float          # clocks run across epochs: short epochs still report
    last_preview: float
    pacer: Pacer
    last_step: int              # the run's steps if it runs to its end: its last curve point
    curve_every: int            # steps between two curve points
    next_curve: int             # the step (counted from the run's start) of the next curve point
    seen: int = 0
    done: int = 0               # steps done since the run began
    position: tuple[int, int] = (0, 0)  # (epoch, step in it) of the last step done, for a last curve point
    # The loss a step record reports: the mean over the batches since the previous curve point. (It was
    # the mean since the epoch began, which restarted at every epoch: the curve jumped down at each
    # boundary, an artefact of the reset, not of training.)
    recent_total: float = 0.0
    recent_count: int = 0
    stopped: bool = False
    error: str | None = None


@dataclass
class _EpochTotals:
    """One epoch's train loss summed over its samples, and when it began (moved on by pauses: its speed
    counts working time only)."""

    start: float
    total: float
    count: int


def _train(network: Network, loss: str, train_set: Dataset, test_set: Dataset | None, config: TrainingConfig,
           control: TrainingControl | None) -> Generator[Record, None, TrainingResult]:
    """The run: start it, then epoch by epoch set the rate, shuffle, step through the batches, keep the
    parameters if finite, record the epoch and ask the stop rules; then finish on the parameters to keep."""
    control = control or TrainingControl()
    rules = config.stop
    if (rules.target_accuracy is not None or rules.patience is not None) and (test_set is None or not len(test_set)):
        raise ShapeError("a target accuracy and early stopping judge the test part; this run has none")
    watch = StopWatch(rules)
    best: Layers | Network | None = None
    stop_reason: str | None = None
    run = _start(network, loss, train_set, test_set, config, control)
    rng = np.random.default_rng(config.seed)
    # Every epoch's result, thinned on a long run (first and last kept): thousands of XOR epochs a second
    # kept whole grew without end. The run's record keeps at most MAX_RUN_ROWS rows, so nothing is lost.
    history: Thinned[EpochResult] = Thinned(MAX_RUN_ROWS)
    for epoch in range(1, config.epochs + 1):
        rate = config.schedule.rate(epoch, config.epochs, config.optimizer.learning_rate)
        run.engine.set_learning_rate(rate)
        run.batches.shuffle(rng.permutation(run.samples))
        totals = yield from _epoch_steps(run, epoch, config, control)
        if run.error or run.stopped:
            break
        if not _keep_finite_parameters(run, epoch):
            break
        result = _epoch_result(run, totals, epoch, rate, test_set, loss, network.layers[-1].activation)
        history.add(result)
        stop_reason = watch.after_epoch(epoch, result.test_loss, result.test_accuracy)
        if rules.restore_best and watch.best_epoch == epoch:
            best = run.engine.snapshot()
        yield result
        if config.record_epochs:
            yield ParameterSnapshot(epoch, run.steps_per_epoch, run.engine.to_network(), run.seen, epoch_end=True)
        if stop_reason is not None:
            break
    if run.recent_count:  # ended before its last step (Stop, a stop rule, an error): that step ends the curve
        epoch_done, step_done = run.position
        yield StepProgress(epoch_done, step_done, run.steps_per_epoch, run.seen, run.recent_total / run.recent_count,
                           run.seen / max(time.perf_counter() - run.started, 1e-9), curve=True)
    return _finish(run, history.items(), watch, best, stop_reason)


def make_engine(network: Network, loss: str, config: TrainingConfig, batch: int, responsive: bool = False) -> Engine:
    """The engine a run trains with: FastMLP for a dense network, FastConv (its step's memory for `batch` samples
    checked first) for one with maps. `responsive`: beside a window (see RESPONSIVE_RELEASE_GIL_FROM)."""
    if network.is_spatial:  # its products are numpy's matmul, which releases the GIL while it runs
        return FastConv(network, loss, config.optimizer, config.dtype, batch=batch)
    return FastMLP(network, loss, config.optimizer, config.dtype,
                   release_gil_from=RESPONSIVE_RELEASE_GIL_FROM if responsive else blas.RELEASE_GIL_FROM)


def _start(network: Network, loss: str, train_set: Dataset, test_set: Dataset | None, config: TrainingConfig,
           control: TrainingControl) -> _Run:
    """The engine on its own copy of the parameters, the targets checked, the batches laid out (the
    inputs reordered and the first layer split when the data is sparse), and the run's clock started."""
    n = len(train_set)
    batch = min(config.batch_size, n)
    engine = make_engine(network, loss, config, batch, control.responsive)  # before the data is laid out
    dtype = engine.dtype
    x_all = np.ascontiguousarray(train_set.x, dtype=dtype)
    y_all = np.ascontiguousarray(train_set.targets(dtype, network.output_size))
    _check_targets(engine, train_set, y_all, test_set, network.output_size)
    if not isinstance(engine, FastMLP):  # a convolution reads its input as maps: no inputs listed apart
        batches = ColumnBatches(x_all, y_all, batch, dtype, list_rare=False)
    else:
        batches = ColumnBatches(x_all, y_all, batch, dtype, bias=engine.has_bias[0],
                                width=engine.n_out[0] if control.responsive else None)
    if batches.feature_order is not None and isinstance(engine, FastMLP):
        engine.order_inputs(batches.feature_order)
        engine.split_inputs(batches.dense)
    snapshot = engine.snapshot()
    started = time.perf_counter()
    steps_per_epoch = math.ceil(n / batch)
    last_step = config.epochs * steps_per_epoch
    curve_every = math.ceil(last_step / CURVE_POINTS)
    return _Run(engine, batches, n, batch, steps_per_epoch, snapshot, started,
                last_report=started - config.report_seconds, last_preview=started - config.report_seconds,
                pacer=Pacer(control), last_step=last_step, curve_every=curve_every,
                next_curve=min(curve_every, last_step))


def _epoch_steps(run: _Run, epoch: int, config: TrainingConfig,
                 control: TrainingControl) -> Generator[Record, None, _EpochTotals]:
    """One step per batch of the epoch, with a StepProgress at each curve point and now and then by the
    clock, and a ParameterSnapshot at the pace (or by the clock when previews are asked for and the run is
    not paced); ends early when a stop is asked for, or when the loss stops being finite (the last finite
    parameters restored). The counters are locals while it runs: a step at batch 1 takes microseconds, and
    they go back into `run` at the end."""
    engine, batches, n, batch, steps_per_epoch = run.engine, run.batches, run.samples, run.batch, run.steps_per_epoch
    check_every = max(1, 256 // batch)
    seen, recent_total, recent_count = run.seen, run.recent_total, run.recent_count
    done, next_curve, curve_every, last_step = run.done, run.next_curve, run.curve_every, run.last_step
    last_report, last_preview = run.last_report, run.last_preview
    pace = control.pace_for(config.pace)  # the run's own, or the one the person chose while it runs
    done_before = done
    epoch_start = time.perf_counter()
    total, count = 0.0, 0
    for step in range(steps_per_epoch):
        if control.stop_requested:
            run.stopped = True
            break
        if control.paused:
            paused_at = time.perf_counter()
            control.wait_while_paused()
            epoch_start += time.perf_counter() - paused_at  # speed counts working time only
            if control.stop_requested:
                run.stopped = True
                break
        lo = step * batch
        hi = min(lo + batch, n)
        value = engine.train_columns(*batches.get(step))
        if not math.isfinite(value):
            engine.restore(run.snapshot)
            refused = getattr(engine, "refused", None)  # FastConv: an update that overflows, in the core's words
            run.error = (f"training stopped at epoch {epoch}, step {step + 1}: {refused}. The last finite "
                         "parameters were kept." if refused else
                         f"training stopped: the loss became {value} at epoch {epoch}, step {step + 1}; "
                         "the learning rate is probably too high. The last finite parameters were kept.")
            break
        total += value * (hi - lo)
        count += hi - lo
        seen += hi - lo
        recent_total += value * (hi - lo)
        recent_count += hi - lo
        done += 1
        if (step + 1) % config.snapshot_every == 0 and engine.finite():
            run.snapshot = engine.snapshot()
        if done == next_curve:  # a point of the train curve: chosen by step count, not by the clock
            now = time.perf_counter()
            yield StepProgress(epoch, step + 1, steps_per_epoch, seen, recent_total / recent_count,
                               count / max(now - epoch_start, 1e-9), curve=True)
            recent_total, recent_count, last_report = 0.0, 0, now
            next_curve = min(next_curve + curve_every, last_step)
        if pace is not None and done % pace.steps_per_update == 0:  # the canvas follows, then the pace's wait
            yield ParameterSnapshot(epoch, step + 1, engine.to_network(), seen)
            waited_from = time.perf_counter()
            run.pacer.wait(pace)
            epoch_start += time.perf_counter() - waited_from  # speed counts working time only
            pace = control.pace_for(config.pace)
        if step % check_every == 0:  # reading the clock every step would cost more than batch 1 itself
            now = time.perf_counter()
            if recent_count and now - last_report >= config.report_seconds:  # the status line's news
                last_report = now
                yield StepProgress(epoch, step + 1, steps_per_epoch, seen, recent_total / recent_count,
                                   count / max(now - epoch_start, 1e-9))
            pace = control.pace_for(config.pace)
            if pace is None and config.preview_seconds is not None and now - last_preview >= config.preview_seconds:
                last_preview = now
                yield ParameterSnapshot(epoch, step + 1, engine.to_network(), seen)
    run.seen, run.recent_total, run.recent_count = seen, recent_total, recent_count
    run.done, run.next_curve = done, next_curve
    if done > done_before:
        run.position = (epoch, done - done_before)
    run.last_report, run.last_preview = last_report, last_preview
    return _EpochTotals(epoch_start, total, count)


def _keep_finite_parameters(run: _Run, epoch: int) -> bool:
    """At an epoch's end its parameters become the last finite ones; if they are not finite (a loss can
    stay finite while a weight overflows), the run ends on the last finite ones, saying so."""
    if not run.engine.finite():
        run.engine.restore(run.snapshot)
        run.error = (f"training stopped: the parameters stopped being finite in epoch {epoch}; "
                     "the last finite parameters were kept.")
        return False
    run.snapshot = run.engine.snapshot()
    return True


def _epoch_result(run: _Run, totals: _EpochTotals, epoch: int, rate: float, test_set: Dataset | None, loss: str,
                  output_activation: str) -> EpochResult:
    """The epoch's record: its train loss and speed, and the test part's loss, accuracy and confusion."""
    seconds = time.perf_counter() - totals.start
    speed = totals.count / seconds if seconds > 0 else float("inf")
    test_loss, accuracy, per_class, confusion = (math.nan, None, None, None)
    if test_set is not None and len(test_set):
        outputs = run.engine.predict(test_set.x)
        test_loss, accuracy, per_class, confusion = evaluate_outputs(outputs, test_set, loss, output_activation)
    return EpochResult(epoch, totals.total / max(totals.count, 1), test_loss, accuracy, per_class, confusion, speed,
                       seconds, rate, run.seen)


def _finish(run: _Run, epochs: list[EpochResult], watch: StopWatch, best: Layers | Network | None,
            stop_reason: str | None) -> TrainingResult:
    """The run's result; with restore_best (`best` holds the best epoch's parameters), on those when a later
    epoch was the last and the run did not fail."""
    best_epoch = None
    last_epoch = epochs[-1].epoch if epochs else 0
    if best is not None and watch.best_epoch != last_epoch and not run.error:
        run.engine.restore(best)  # early stopping ends on the best epoch's parameters
        best_epoch = watch.best_epoch
    return TrainingResult(run.engine.to_network(), epochs, run.stopped, run.error, time.perf_counter() - run.started,
                          stop_reason, best_epoch)


def drive(run: Generator[Record, None, TrainingResult],
          each: Callable[[Record], None] | None = None) -> TrainingResult:
    """Run a training generator to the end and return its result, handing each record to `each` on the way
    (the command line prints them; a test collects them)."""
    while True:
        try:
            record = next(run)
        except StopIteration as done:
            return done.value
        if each is not None:
            each(record)
