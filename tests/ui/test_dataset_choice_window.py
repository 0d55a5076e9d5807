"""The Training panel's Dataset list in the window: only fitting sets offered, the choice saved with the network
(through Save and Open), undone by Undo, kept by New Network, and XOR's test part said plainly."""

from PySide6.QtWidgets import QComboBox, QLineEdit

from nnstudio.core import build_network
from nnstudio.core.project import DataChoice, Project
from nnstudio.data.catalogue import XOR_NOTE
from tests.ui.test_new_network import child, create, open_dialog, type_sizes


def offered(panel) -> dict[str, bool]:
    """Each item of the Dataset list by its name: whether it can be chosen."""
    model = panel.dataset.model()
    return {panel.dataset.itemData(row): model.item(row).isEnabled() for row in range(panel.dataset.count())}


def tooltip(panel, name: str) -> str:
    return panel.dataset.model().item(panel.dataset.findData(name)).toolTip()


def choose(panel, name: str) -> None:
    """As a person picks an item of the list (the list's own index change, not the panel's)."""
    panel.dataset.setCurrentIndex(panel.dataset.findData(name))


def test_the_xor_example_is_offered_the_two_input_sets_that_fit_its_sigmoid_output(make_window):
    window = make_window("xor")
    panel = window.training_panel
    assert offered(panel) == {"mnist": False, "fashion-mnist": False, "xor": True, "product": True, "circles": True,
                              "spirals": True, "clusters": False, "quadratic": False, "csv": True, "function": True}
    assert tooltip(panel, "mnist") == "needs 784 inputs; the network has 2"
    assert tooltip(panel, "clusters") == "needs 3 outputs with softmax; the network has 1 sigmoid output"
    assert tooltip(panel, "quadratic") == "needs 1 input; the network has 2"
    assert panel.dataset.currentData() == "xor"  # saved with the example
    # XOR trains and tests on its 4 points: said in the list, and the test part has nothing to hold out
    assert panel.dataset.currentText() == "XOR (4 points, train = test)"
    assert not panel.test_fraction.isEnabled() and panel.test_fraction.toolTip() == XOR_NOTE
    choose(panel, "circles")
    assert panel.test_fraction.isEnabled()


def test_the_backprop_example_fits_no_built_in_set_and_says_why(make_window):
    window = make_window("backprop-4-2-3")
    panel = window.training_panel
    assert [name for name, enabled in offered(panel).items() if enabled] == ["csv"]
    assert tooltip(panel, "xor") == "needs 2 inputs; the network has 4"
    assert tooltip(panel, "function") == "needs 2 inputs; the network has 4"
    assert panel.dataset.currentData() == "csv"  # the one set that may fit: a CSV file is checked when read
    assert not window.document.modified  # a set the form chose for itself is no edit


def test_the_list_follows_the_network_as_it_is_edited(make_window):
    window = make_window("xor")
    panel = window.training_panel
    window.document.set_activation(2, "tanh")
    assert not offered(panel)["xor"]
    assert tooltip(panel, "xor") == ("needs 1 output with sigmoid or identity, or 2 with softmax; "
                                     "the network has 1 tanh output")
    assert offered(panel)[panel.dataset.currentData()]  # the choice moved to a set that fits
    window.actions_by_name["undo"].trigger()
    assert offered(panel)["xor"] and panel.dataset.currentData() == "xor"  # the saved choice fits again


def test_the_choice_survives_save_and_reopen_in_a_new_window(make_window, tmp_path):
    window = make_window()
    window.document.new_project(Project(build_network([2, 6, 2], ["tanh", "softmax"], "xavier", seed=0), loss="cce"))
    window.show_training()
    panel = window.training_panel
    assert panel.dataset.currentData() == "circles"  # nothing saved: the usual set for two inputs
    choose(panel, "xor")
    assert window.document.project.training_data == DataChoice("xor") and window.isWindowModified()
    path = tmp_path / "xor choice.nnstudio"
    assert window.save_to(path)

    again = make_window()
    assert again.open_path(path, ask=False)
    assert again.training_panel.dataset.currentData() == "xor"
    assert not again.training_panel.test_fraction.isEnabled() and not again.isWindowModified()


def test_undo_restores_the_previous_choice_and_its_test_part(make_window):
    window = make_window("mnist-mlp")
    panel = window.training_panel
    assert panel.dataset.currentData() == "mnist"
    panel.test_fraction.setValue(0.3)
    panel.test_fraction.setValue(0.35)  # two clicks of the arrow: one edit
    choose(panel, "fashion-mnist")
    assert window.document.undo_stack.undo_text() == "Choose the dataset fashion-mnist"
    window.actions_by_name["undo"].trigger()
    assert panel.dataset.currentData() == "mnist" and panel.test_fraction.value() == 0.35
    window.actions_by_name["undo"].trigger()
    assert panel.test_fraction.value() == 0.25 and not window.document.modified
    window.actions_by_name["redo"].trigger()
    assert window.document.project.training_data == DataChoice("mnist", test_fraction=0.35)


def test_a_typed_folder_and_a_function_are_saved_as_typed(make_window):
    window = make_window("mnist-mlp")
    panel = window.training_panel
    source = panel.findChild(QLineEdit, "datasetSource")
    source.setText("/data/digits")
    source.editingFinished.emit()
    assert window.document.project.training_data == DataChoice("mnist", "/data/digits")
    window.document.new_project(Project(build_network([2, 4, 1], ["tanh", "identity"], "xavier", seed=0)))
    choose(panel, "function")
    assert window.document.project.training_data is None  # no function typed yet: nothing to save
    source.setText("sin(x1) + x2^2")
    source.editingFinished.emit()
    assert window.document.project.training_data == DataChoice("function:sin(x1) + x2^2")


def test_new_network_keeps_a_choice_that_fits_and_drops_one_that_does_not(qtbot, make_window):
    window = make_window("xor")
    panel = window.training_panel
    choose(panel, "spirals")
    window.document.mark_clean()  # no question about unsaved changes
    dialog = open_dialog(qtbot, window)
    type_sizes(qtbot, dialog, "2-4-1")  # one identity output: spirals still fits
    create(qtbot, dialog)
    assert window.document.project.network.sizes == [2, 4, 1]
    assert window.document.project.training_data == DataChoice("spirals")
    assert panel.dataset.currentData() == "spirals" and not window.document.modified

    dialog = open_dialog(qtbot, window)
    type_sizes(qtbot, dialog, "2-4-3")
    assert child(dialog, QComboBox, "activation2").currentData() == "softmax"
    create(qtbot, dialog)
    assert window.document.project.training_data is None  # two classes do not fit three outputs
    assert panel.dataset.currentData() == "clusters"  # the first set that fits
