"""HDF5 is data only (issue 20, part 2): model files whose HDF5 points at other files are
refused with the reason, before any array is read, by every reader of model files (inspect
and diagnose, the patch document, the rebuild worker's weight copy). Each crafted file is a
real Keras-saved model (tests/fixtures) with one reference added by h5py."""

import io
import shutil
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from app.cli import main
from app.core.errors import InputError
from app.io.load import load_path
from app.patches import load_document

RUNS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "runs"
H5 = RUNS / "fam_relu_cce_mlp" / "model.h5"
KERAS = RUNS / "healthy_mlp" / "model.keras"
KERNEL = "model_weights/dense/sequential/dense/kernel"


def _secret(tmp_path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n" * 20)
    return secret


def _external_storage(root, secret: Path, name: str) -> None:
    """Replace dataset ``name`` with one of the same shape whose bytes live in ``secret``."""
    shape = root[name].shape
    del root[name]
    root.create_dataset(name, shape=shape, dtype="f4", external=[(str(secret), 0, h5py.h5f.UNLIMITED)])


def _external_link(root, secret_h5: Path, name: str) -> None:
    del root[name]
    root[name] = h5py.ExternalLink(str(secret_h5), "/data")


def _virtual(root, other: Path, name: str) -> None:
    shape = root[name].shape
    del root[name]
    layout = h5py.VirtualLayout(shape=shape, dtype="f4")
    layout[:] = h5py.VirtualSource(str(other), "data", shape=shape)
    root.create_virtual_dataset(name, layout)


def _other_h5(tmp_path, shape) -> Path:
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.ones(shape, dtype="f4")
    return other


@pytest.fixture(params=["external_storage", "external_link", "virtual"])
def crafted_h5(request, tmp_path):
    path = tmp_path / "model.h5"
    shutil.copy(H5, path)
    with h5py.File(path, "r+") as root:
        shape = root[KERNEL].shape
        if request.param == "external_storage":
            _external_storage(root, _secret(tmp_path), KERNEL)
        elif request.param == "external_link":
            _external_link(root, _other_h5(tmp_path, shape), KERNEL)
        else:
            _virtual(root, _other_h5(tmp_path, shape), KERNEL)
    return request.param, path


REASONS = {"external_storage": "whose bytes are stored in", "external_link": "an external link at",
           "virtual": "a virtual dataset at"}


def test_an_h5_model_pointing_at_other_files_is_refused_with_the_reason(crafted_h5):
    kind, path = crafted_h5
    with pytest.raises(InputError) as refused:
        load_path(path)
    message = refused.value.message()
    assert str(path) in message and "may not make TrainDoc read other files" in message
    assert REASONS[kind] in refused.value.found and "/" + KERNEL in refused.value.found
    with pytest.raises(InputError):
        load_document(str(path))  # traindoc patch reads no further either


def test_patch_of_an_h5_with_external_storage_writes_nothing(tmp_path, capsys):
    # the reproducer: the patched .keras held the first 384 bytes of /etc/passwd as its kernel
    path = tmp_path / "model.h5"
    shutil.copy(H5, path)
    with h5py.File(path, "r+") as root:
        _external_storage(root, _secret(tmp_path), KERNEL)
    out = tmp_path / "fixed.keras"
    assert main(["patch", str(path), "--fix", "set_learning_rate:learning_rate=1e-4", "-o", str(out)]) == 2
    assert "may not make TrainDoc read other files" in capsys.readouterr().err
    assert not out.exists()


def test_a_keras_archive_whose_weights_point_at_other_files_is_refused(tmp_path):
    with zipfile.ZipFile(KERAS) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    weights = tmp_path / "model.weights.h5"
    weights.write_bytes(members["model.weights.h5"])
    with h5py.File(weights, "r+") as root:
        name = next(n for n in _datasets(root) if n.endswith("vars/0"))
        _external_storage(root, _secret(tmp_path), name)
    members["model.weights.h5"] = weights.read_bytes()
    crafted = tmp_path / "model.keras"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    crafted.write_bytes(buffer.getvalue())
    (model,) = load_path(crafted).models
    # the architecture and the diagnosis stay; the weights are refused with the reason
    assert model.layers and any("may not make TrainDoc read other files" in w for w in model.warnings)


def _datasets(root) -> list[str]:
    found: list[str] = []
    root.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset) else None)
    return found


def test_a_real_keras_file_is_data_only():
    from app.io.hdf5_data_only import foreign_reference

    with h5py.File(H5, "r") as root:
        assert foreign_reference(root) is None


def _archive_with(tmp_path, extra: list[tuple[zipfile.ZipInfo, bytes]], drop: str | None = None) -> Path:
    with zipfile.ZipFile(KERAS) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist() if info.filename != drop]
    crafted = tmp_path / "crafted.keras"
    with zipfile.ZipFile(crafted, "w", zipfile.ZIP_STORED) as archive:
        for info, data in [*members, *extra]:
            archive.writestr(info, data)
    return crafted


def test_zip_members_with_absolute_or_parent_names_are_never_used(tmp_path):
    import stat

    evil = [(zipfile.ZipInfo(name), b"{}") for name in ("/etc/config.json", "../config.json", "a/../../x")]
    (model,) = load_path(_archive_with(tmp_path, evil)).models
    assert model.params_total == 995  # read from the archive's own members only
    link = zipfile.ZipInfo("model.weights.h5")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16  # a symlink member: its "content" is a path
    crafted = _archive_with(tmp_path, [(link, str(H5).encode())], drop="model.weights.h5")
    (model,) = load_path(crafted).models
    assert model.layers and any("model.weights.h5" in w and "not" in w for w in model.warnings)
    assert model.params_total != 3460  # the file the link names (another model) was not read
