"""How a finished run is told in the Training panel: one status line and a tooltip with the whole story."""

from __future__ import annotations


def _epochs(count: int) -> str:
    return f"{count} epoch{'' if count == 1 else 's'}"


def stop_point(result, last_step=None) -> str:  # type: ignore[no-untyped-def]
    """Where a stopped run stopped: "after 0 epochs and 1,463 of 1,875 steps" when Stop came inside an epoch
    (its weights changed since the last epoch's end: "after 0 epochs" alone said nothing happened), else
    "after 2 epochs". `last_step`: the run's last StepProgress (the loop sends one at the step it stopped)."""
    count = result.epochs_done
    if last_step is not None and last_step.epoch > count and 0 < last_step.step < last_step.steps_per_epoch:
        return f"after {_epochs(count)} and {last_step.step:,} of {last_step.steps_per_epoch:,} steps"
    return f"after {_epochs(count)}"


def ending_words(result, last_step=None) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(the status line, its tooltip) for a run that ended without an error.

    The line is kept to one line of the panel at 1280×800: the whole story in two or three lines was
    cut to the middle of its lines ("mished 1 epochs…") where the dock had no room for them, and the
    dock must not grow the window. The tooltip tells it all: why a stop rule ended the run, which
    epoch's parameters were kept, and that Undo restores the network."""
    count = result.epochs_done  # not len(result.epochs): a long run's results are thinned
    if result.stopped:
        line = f"stopped {stop_point(result, last_step)}: the network so far is in the document"
        where = "" if last_step is None else f" (Stop came in epoch {last_step.epoch}, at step {last_step.step:,})"
        return line, f"{line}{where}.\nUndo restores the network from before the run."
    last = result.epochs[-1] if result.epochs else None
    score = "" if last is None else (f": test accuracy {last.test_accuracy:.2%}" if last.test_accuracy is not None
                                     else f": test loss {last.test_loss:.4g}")
    verb = "stopped early after" if result.stop_reason else "finished"
    line = f"{verb} {_epochs(count)} in {result.seconds:.1f} s{score}"
    details = [f"{line}."]
    if result.stop_reason:
        details.append(f"Stopped: {result.stop_reason}.")
    if result.best_epoch:
        details.append(f"Kept epoch {result.best_epoch}'s parameters (the best test loss).")
    details.append("Undo restores the untrained network.")
    return line, "\n".join(details)
