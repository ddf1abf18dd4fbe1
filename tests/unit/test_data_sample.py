"""``app.io.data_sample``: a data sample (``--data``) is read as data only, in every accepted
shape, with a message naming the file and the problem for anything else."""

import numpy as np
import pytest

from app.core.errors import InputError
from app.io import data_sample
from app.io.data_sample import MAX_ROWS, read_data_sample


def test_npz_with_x_and_y(tmp_path):
    path = tmp_path / "sample.npz"
    np.savez(path, x_train=np.arange(12.0).reshape(6, 2), y_train=np.array([0, 1, 0, 1, 1, 0]))
    sample = read_data_sample(path)
    assert sample.kind == "npz" and sample.x.shape == (6, 2) and sample.y.tolist() == [0, 1, 0, 1, 1, 0]
    assert sample.label_name == "y_train" and sample.rows == 6 and sample.rows_total == 6


def test_npz_with_other_names_takes_its_first_two_arrays(tmp_path):
    path = tmp_path / "arrays.npz"
    np.savez(path, pixels=np.zeros((3, 4, 4)), classes=np.array([2, 0, 1]))
    sample = read_data_sample(path)
    assert sample.x.shape == (3, 4, 4) and sample.y.tolist() == [2, 0, 1] and sample.label_name == "classes"


def test_only_the_first_max_rows_are_kept(tmp_path):
    path = tmp_path / "big.npz"
    np.savez(path, x=np.zeros((MAX_ROWS + 100, 3), dtype=np.float32), y=np.arange(MAX_ROWS + 100) % 2)
    sample = read_data_sample(path)
    assert sample.rows == MAX_ROWS and sample.rows_total == MAX_ROWS + 100


def test_an_object_array_is_refused_and_never_unpickled(tmp_path):
    path = tmp_path / "pickled.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(InputError) as error:
        read_data_sample(path)
    assert str(path) in error.value.message() and "pickled" in error.value.message()
    archive = tmp_path / "pickled.npz"
    np.savez(archive, x=np.zeros((2, 2)), y=np.array([object(), object()], dtype=object))
    with pytest.raises(InputError) as error:
        read_data_sample(archive)
    assert "pickled" in error.value.message() and error.value.entry == "y"


def test_inputs_and_labels_must_have_one_row_each(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, x=np.zeros((5, 2)), y=np.zeros(4))
    with pytest.raises(InputError) as error:
        read_data_sample(path)
    assert "(5, 2)" in error.value.message() and "(4,)" in error.value.message()


def test_an_oversized_array_is_refused_before_it_is_loaded(tmp_path, monkeypatch):
    path = tmp_path / "sample.npz"
    np.savez(path, x=np.zeros((100, 100)), y=np.zeros(100))
    monkeypatch.setattr(data_sample, "MAX_ARRAY_BYTES", 10_000)
    with pytest.raises(InputError) as error:
        read_data_sample(path)
    assert error.value.entry == "x.npy"


@pytest.mark.parametrize("order", [("x.npy", "y.npy"), ("y.npy", "x.npy")])
def test_two_npy_files_are_inputs_and_labels_by_name(tmp_path, order):
    np.save(tmp_path / "x.npy", np.ones((4, 3)))
    np.save(tmp_path / "y.npy", np.array([1, 0, 1, 0]))
    sample = read_data_sample([tmp_path / order[0], tmp_path / order[1]])
    assert sample.x.shape == (4, 3) and sample.y.tolist() == [1, 0, 1, 0]


def test_one_npy_file_is_inputs_without_labels(tmp_path):
    np.save(tmp_path / "features.npy", np.ones((4, 3)))
    sample = read_data_sample(tmp_path / "features.npy")
    assert sample.y is None and sample.x.shape == (4, 3)


def test_csv_with_a_guessed_label_column_and_text_labels(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("height,weight,colour,target\n1.5,60,red,cat\n1.7,80,blue,dog\n1.6,70,red,cat\n",
                    encoding="utf-8")
    sample = read_data_sample(path)
    assert sample.label_name == "target" and sample.classes == ["cat", "dog"]
    assert sample.y.tolist() == [0, 1, 0] and sample.x.shape == (3, 2)
    assert any("colour" in note for note in sample.notes) and sample.rows_total == 3


def test_tsv_with_a_chosen_label_column(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("a\tb\tkind\n1\t2\t0\n3\t4\t1\n", encoding="utf-8")
    assert read_data_sample(path, label="kind").y.tolist() == [0, 1]
    with pytest.raises(InputError) as error:
        read_data_sample(path, label="missing")
    assert "'missing'" in error.value.message() and "kind" in error.value.message()


def test_an_image_folder_is_listed_by_class(tmp_path):
    for name, count in (("cats", 3), ("dogs", 1)):
        (tmp_path / name).mkdir()
        for i in range(count):
            (tmp_path / name / f"{i}.png").write_bytes(b"\x89PNG")
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    sample = read_data_sample(tmp_path)
    assert sample.kind == "images" and sample.classes == ["cats", "dogs"] and sample.x is None
    assert sorted(sample.y.tolist()) == [0, 0, 0, 1] and len(sample.files) == 4


@pytest.mark.parametrize("make, expected", [
    (lambda d: d / "nothing.npz", "nothing at this path"),
    (lambda d: (d / "model.h5").write_bytes(b"x") and d / "model.h5", "a .h5 file"),
    (lambda d: (d / "empty").mkdir() or d / "empty", "no subfolders"),
])
def test_what_is_not_a_sample_is_named(tmp_path, make, expected):
    with pytest.raises(InputError) as error:
        read_data_sample(make(tmp_path))
    assert expected in error.value.message()
