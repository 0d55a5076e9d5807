"""Your own data (CSV, a typed function), toy sets, splits and normalisation."""


import numpy as np
import pytest

from nnstudio.data import DatasetError, Normalisation, split
from nnstudio.data.image_sets import load_image_set
from nnstudio.data.named import load_named
from nnstudio.data.tabular import from_function, load_csv
from nnstudio.data.toy import TOY_SETS, toy


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_numeric_target(tmp_path):
    data = load_csv(write(tmp_path, "a,b,y\n1,2,3.5\n4,5,6\n"))
    np.testing.assert_array_equal(data.x, [[1, 2], [4, 5]])
    np.testing.assert_array_equal(data.y, [3.5, 6])
    assert data.classes is None and data.feature_names == ("a", "b")


def test_csv_class_labels_and_chosen_columns(tmp_path):
    data = load_csv(write(tmp_path, "species,len,width,id\ncat,1,2,7\ndog,3,4,8\ncat,5,6,9\n"),
                    target="species", inputs=["width", "len"])
    assert data.classes == ("cat", "dog")
    np.testing.assert_array_equal(data.y, [0, 1, 0])
    np.testing.assert_array_equal(data.x[:, 0], [2, 4, 6])


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("a,b,y\n", "no data rows"),
        ("a,b,y\n1,2,3\n4,5\n", "line 3 has 2 values, the header has 3"),
        ("a,b,y\n1,x,3\n", "line 2, column 'b': 'x' is not a number"),
        ("a,b,y\n1,nan,3\n", "line 2, column 'b': nan is not a finite number"),
    ],
)
def test_malformed_csv(tmp_path, text, message):
    with pytest.raises(DatasetError, match=message):
        load_csv(write(tmp_path, text))


def test_csv_unknown_column_and_missing_file(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(DatasetError, match="no column called 'z'; columns: a, b"):
        load_csv(path, target="z")
    with pytest.raises(DatasetError, match="no such file"):
        load_csv(tmp_path / "none.csv")


def test_function_dataset_matches_the_formula():
    data = from_function("sin(x1) + x2^2", n=50, low=-2, high=2, seed=3)
    expected = np.sin(data.x[:, 0].astype(float)) + data.x[:, 1].astype(float) ** 2
    np.testing.assert_allclose(data.y, expected, rtol=1e-5, atol=1e-5)
    assert data.x.min() >= -2 and data.x.max() <= 2
    noisy = from_function("x1*x2", n=2000, noise=0.1, seed=1)
    residual = noisy.y - noisy.x[:, 0] * noisy.x[:, 1]
    assert 0.08 < residual.std() < 0.12


@pytest.mark.parametrize("text, message", [("x1 +", "ends too early"), ("x3", "unknown name 'x3'"),
                                           ("log(x1)", "not finite at"), ("__import__('os')", "unexpected")])
def test_function_dataset_errors(text, message):
    with pytest.raises(DatasetError, match=message):
        from_function(text, n=100, low=-1, high=1)


@pytest.mark.parametrize("name", sorted(TOY_SETS))
def test_toy_sets_are_seeded(name):
    a, b, c = toy(name, 1), toy(name, 1), toy(name, 2)
    np.testing.assert_array_equal(a.x, b.x)
    if name != "xor":
        assert not np.array_equal(a.x, c.x)
    assert np.all(np.isfinite(a.x))


def test_toy_sets_mean_what_they_say():
    p = toy("product", 0)
    assert np.all((p.x[:, 0] * p.x[:, 1] > 0) == (p.y == 1))
    c = toy("circles", 0)
    radius = np.hypot(c.x[:, 0], c.x[:, 1])
    assert radius[c.y == 1].mean() < 0.35 < radius[c.y == 0].mean()


def test_split_is_disjoint_and_seeded():
    data = toy("clusters", 0)
    parts = split(data, 0.2, 0.1, seed=5)
    assert len(parts.train) + len(parts.test) + len(parts.validation) == len(data)
    assert len(parts.test) == 80 and len(parts.validation) == 40
    rows = {tuple(r) for r in parts.train.x} & {tuple(r) for r in parts.test.x}
    assert not rows
    np.testing.assert_array_equal(split(data, 0.2, 0.1, seed=5).test.x, parts.test.x)


def test_normalisation_statistics():
    x = np.array([[0.0, 10.0, 5.0], [2.0, 30.0, 5.0]])
    mm = Normalisation.fit(x, "minmax")
    np.testing.assert_allclose(mm.apply(x), [[0, 0, 0], [1, 1, 0]])  # constant column: scale 1
    st = Normalisation.fit(x, "standard")
    np.testing.assert_allclose(st.apply(x), [[-1, -1, 0], [1, 1, 0]])


def test_mnist_sample_from_a_chosen_folder(shared_mnist):
    train, test = load_image_set("mnist", shared_mnist, allow_download=False)
    assert (len(train), len(test)) == (7000, 1000)
    assert train.image == (28, 28) and train.x.shape == (7000, 784)
    assert 0.0 <= train.x.min() and train.x.max() == 1.0
    assert set(np.unique(train.y)) == set(range(10))


def test_environment_folder_is_searched(shared_mnist, tmp_path, monkeypatch):
    (tmp_path / "mnist").symlink_to(shared_mnist, target_is_directory=True)
    monkeypatch.setenv("NNSTUDIO_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    split_data = load_named("mnist", allow_download=False)
    assert len(split_data.test) == 1000


def test_unknown_dataset_name():
    with pytest.raises(DatasetError, match="unknown dataset 'imagenet'"):
        load_named("imagenet")
