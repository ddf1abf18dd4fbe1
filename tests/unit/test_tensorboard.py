"""TensorBoard event files read without TensorFlow: TFRecord framing, protobuf, log folders.

Real event files come from the Keras TensorBoard callback runs in tests/fixtures/runs/*/tb
(checked against the same run's history.json) and from PyTorch's SummaryWriter in
tests/fixtures/other/; the other inputs are bytes crafted here with a tiny protobuf encoder
that follows the layout TensorFlow writes (checked against real files while developing).
"""

from __future__ import annotations

import glob
import json
import math
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import InputError
from app.core.progress import Cancelled
from app.io import tfrecord
from app.io.load import load_path
from app.io.readers import tensorboard
from app.io.sniff import probe_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_TB_DIRS = sorted(glob.glob(str(ROOT / "tests/fixtures/runs/*/tb")))
TORCH_TB_DIRS = sorted(glob.glob(str(ROOT / "tests/fixtures/other/*_tb")))


# --------------------------------------------------------------------------------------
# A minimal protobuf encoder for crafting tensorflow.Event records
# --------------------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _key(number, 2) + _varint(len(payload)) + payload


def _varint_field(number: int, value: int) -> bytes:
    return _key(number, 0) + _varint(value)


def _event(step: int | None = None, *values: bytes, wall_time: float = 1.7e9,
           file_version: str | None = None) -> bytes:
    out = _key(1, 1) + struct.pack("<d", wall_time)
    if step:  # proto3 omits zero, as TensorFlow does
        out += _varint_field(2, step)
    if file_version is not None:
        out += _bytes_field(3, file_version.encode())
    if values:
        out += _bytes_field(5, b"".join(_bytes_field(1, v) for v in values))
    return out


def _metadata(plugin: str) -> bytes:
    return _bytes_field(9, _bytes_field(1, _bytes_field(1, plugin.encode())))


def _simple_value(tag: str, value: float) -> bytes:
    """TF1 / PyTorch SummaryWriter style: Summary.Value.simple_value."""
    return _bytes_field(1, tag.encode()) + _key(2, 5) + struct.pack("<f", value)


def _tensor_value(tag: str, tensor: bytes, plugin: str | None = "scalars") -> bytes:
    out = _bytes_field(1, tag.encode()) + _bytes_field(8, tensor)
    if plugin is not None:
        out += _metadata(plugin)
    return out


def _keras_scalar(tag: str, value: float) -> bytes:
    """What Keras 3's TensorBoard callback writes: DT_FLOAT, empty shape, tensor_content."""
    tensor = _varint_field(1, 1) + _bytes_field(2, b"") + _bytes_field(4, struct.pack("<f", value))
    return _tensor_value(tag, tensor)


HEADER = _event(file_version="brain.Event:2", wall_time=1.7e9)


def _write_events(path: Path, *events: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(tfrecord.encode_record(e) for e in (HEADER, *events)))
    return path


def _keras_run(directory: Path, losses, val_losses, accuracies=None) -> None:
    """A Keras-callback-like log folder: train/ and validation/ with epoch_* tags."""
    train, val = [], []
    for epoch, loss in enumerate(losses):
        values = [_keras_scalar("epoch_loss", loss)]
        if accuracies is not None:
            values.append(_keras_scalar("epoch_accuracy", accuracies[epoch]))
        train.append(_event(epoch, *values))
    for epoch, loss in enumerate(val_losses):
        val.append(_event((epoch + 1) * 10, _keras_scalar("evaluation_loss_vs_iterations", loss)))
        val.append(_event(epoch, _keras_scalar("epoch_loss", loss)))
    _write_events(directory / "train" / "events.out.tfevents.1700000000.host.1.0.v2", *train)
    _write_events(directory / "validation" / "events.out.tfevents.1700000000.host.1.1.v2", *val)


def _f32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


# --------------------------------------------------------------------------------------
# CRC32C and TFRecord framing
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("data, crc", [
    (b"123456789", 0xE3069283),
    (b"", 0x00000000),
    (bytes(32), 0x8A9136AA),  # RFC 3720 B.4 test vectors
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
])
def test_crc32c_known_vectors(data, crc):
    assert tfrecord.crc32c(data) == crc


def test_crc32c_can_be_continued_and_matches_the_bitwise_definition():
    def bitwise(data: bytes) -> int:
        crc = 0xFFFFFFFF
        for byte in data:
            crc ^= byte
            for _ in range(8):
                crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        return crc ^ 0xFFFFFFFF

    data = bytes((i * 37 + 11) % 256 for i in range(100))
    for cut in (0, 1, 7, 8, 9, 63, 100):
        assert tfrecord.crc32c(data[:cut]) == bitwise(data[:cut])
        assert tfrecord.crc32c(data[cut:], tfrecord.crc32c(data[:cut])) == tfrecord.crc32c(data)


def test_records_round_trip_with_indices_and_offsets(tmp_path):
    payloads = [b"first", b"", b"x" * 300]
    path = tmp_path / "r.tfrecord"
    path.write_bytes(b"".join(tfrecord.encode_record(p) for p in payloads))
    records = list(tfrecord.iter_records(str(path), verify_data=True))
    assert [r.data for r in records] == payloads
    assert [r.index for r in records] == [0, 1, 2]
    assert [r.offset for r in records] == [0, 12 + 5 + 4, 2 * 12 + 5 + 2 * 4]


def test_a_truncated_last_record_ends_reading_with_a_warning(tmp_path):
    whole = b"".join(tfrecord.encode_record(p) for p in (b"aaaa", b"bbbbbbbb"))
    for cut in (len(whole) - 1, len(whole) - 6, 12 + 4 + 4 + 5):  # footer, data, header cut
        path = tmp_path / f"cut{cut}.tfrecord"
        path.write_bytes(whole[:cut])
        warnings: list[str] = []
        records = list(tfrecord.iter_records(str(path), warnings=warnings))
        assert [r.data for r in records] == [b"aaaa"]
        assert len(warnings) == 1 and "record 1" in warnings[0] and str(path) in warnings[0]


def test_a_bad_length_crc_is_an_input_error_naming_file_and_record(tmp_path):
    data = bytearray(b"".join(tfrecord.encode_record(p) for p in (b"one", b"two", b"three")))
    second = 12 + 3 + 4
    data[second + 8] ^= 0x01  # flip a bit of record 1's length checksum
    path = tmp_path / "bad.tfrecord"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        list(tfrecord.iter_records(str(path)))
    assert info.value.path == str(path)
    assert info.value.entry == "record 1"
    assert "checksum" in info.value.message()


def test_an_absurd_length_is_refused_even_with_a_valid_checksum(tmp_path):
    header = struct.pack("<Q", 300 * 1024 * 1024)
    path = tmp_path / "huge.tfrecord"
    path.write_bytes(header + struct.pack("<I", tfrecord.masked_crc32c(header)) + b"\0" * 64)
    with pytest.raises(InputError) as info:
        list(tfrecord.iter_records(str(path)))
    assert info.value.entry == "record 0" and "314572800" in info.value.message()


def test_data_crc_is_checked_when_asked(tmp_path):
    data = bytearray(tfrecord.encode_record(b"payload"))
    data[12 + 2] ^= 0xFF
    path = tmp_path / "d.tfrecord"
    path.write_bytes(bytes(data))
    assert [r.data_crc_ok() for r in tfrecord.iter_records(str(path))] == [False]
    with pytest.raises(InputError, match="record 0"):
        list(tfrecord.iter_records(str(path), verify_data=True))


# --------------------------------------------------------------------------------------
# Protobuf decoding of events
# --------------------------------------------------------------------------------------


def test_header_event_gives_file_version_and_no_scalars():
    event = tfrecord.decode_event(HEADER)
    assert event.file_version == "brain.Event:2" and event.step == 0 and event.scalars == []
    assert event.wall_time == 1.7e9


def test_scalar_spellings_of_tf1_tf2_and_pytorch_are_decoded():
    float_val_packed = _varint_field(1, 1) + _bytes_field(2, b"") + _bytes_field(5, struct.pack("<f", 0.25))
    float_val_single = _varint_field(1, 1) + _key(5, 5) + struct.pack("<f", -1.5)
    double_val = _varint_field(1, 2) + _bytes_field(2, b"") + _key(6, 1) + struct.pack("<d", 1e-300)
    double_content = _varint_field(1, 2) + _bytes_field(4, struct.pack("<d", math.pi))
    int64_val = _varint_field(1, 9) + _bytes_field(10, _varint(-7))  # packed, negative
    half_content = _varint_field(1, 19) + _bytes_field(4, struct.pack("<e", 0.5))
    shape_1 = _bytes_field(2, _bytes_field(2, _varint_field(1, 1)))  # shape [1]
    one_elem_vector = _varint_field(1, 1) + shape_1 + _bytes_field(4, struct.pack("<f", 3.0))
    record = _event(
        42,
        _simple_value("Loss/train", 0.75),
        _keras_scalar("epoch_loss", float("nan")),
        _tensor_value("packed", float_val_packed),
        _tensor_value("single", float_val_single, plugin=None),
        _tensor_value("double", double_val),
        _tensor_value("dcontent", double_content),
        _tensor_value("int64", int64_val),
        _tensor_value("half", half_content),
        _tensor_value("vec1", one_elem_vector),
    )
    event = tfrecord.decode_event(record)
    assert event.step == 42
    values = {s.tag: s.value for s in event.scalars}
    assert values.pop("epoch_loss") != values.get("epoch_loss")  # NaN kept
    assert values == {"Loss/train": 0.75, "packed": 0.25, "single": -1.5, "double": 1e-300,
                      "dcontent": math.pi, "int64": -7.0, "half": 0.5, "vec1": 3.0}


def test_histograms_images_text_and_graphs_are_skipped():
    histogram = (_varint_field(1, 2)
                 + _bytes_field(2, _bytes_field(2, _varint_field(1, 30))
                                + _bytes_field(2, _varint_field(1, 3)))
                 + _bytes_field(4, b"\0" * 720))
    text = _varint_field(1, 7) + _bytes_field(2, b"") + _bytes_field(8, b"hello")
    vector = _varint_field(1, 1) + _bytes_field(4, struct.pack("<2f", 1.0, 2.0))
    old_image = _bytes_field(1, b"img") + _bytes_field(4, b"\x89PNG" + b"\0" * 100)
    record = (_event(3, _tensor_value("w/histogram", histogram, plugin="histograms"),
                     _tensor_value("txt", text, plugin="text"),
                     _tensor_value("vec", vector, plugin=None),
                     old_image,
                     _keras_scalar("batch_loss", 0.5))
              + _bytes_field(4, b"\x0a\x03abc" * 50))  # graph_def
    event = tfrecord.decode_event(record)
    assert [(s.tag, s.value) for s in event.scalars] == [("batch_loss", 0.5)]
    assert event.other_plugins == {"w/histogram": "histograms", "txt": "text"}


@pytest.mark.parametrize("data", [
    b"\x08",  # varint key without value
    b"\x0a\x05ab",  # length past the end
    b"\x09\x00\x00",  # fixed64 past the end
    b"\x0b",  # start group
    b"\x00\x01",  # field number 0
    b"\x08" + b"\xff" * 11,  # varint too long
])
def test_malformed_protobuf_raises_proto_error(data):
    with pytest.raises(tfrecord.ProtoError):
        tfrecord.decode_event(data)


# --------------------------------------------------------------------------------------
# The reader on crafted folders
# --------------------------------------------------------------------------------------


def test_keras_folder_gives_train_and_validation_series_one_based(tmp_path):
    _keras_run(tmp_path / "mnist", [0.9, 0.7, 0.5], [1.0, 0.8, 0.75], accuracies=[0.5, 0.6, 0.7])
    (run,) = tensorboard.read(str(tmp_path / "mnist"))
    assert run.format == "tensorboard" and run.name == "mnist"
    assert sorted(run.epochs) == ["accuracy", "loss", "val_loss"]
    loss, val_loss = run.epochs["loss"], run.epochs["val_loss"]
    assert list(loss.x) == [1, 2, 3] and list(val_loss.x) == [1, 2, 3]
    assert list(loss.y) == [_f32(0.9), _f32(0.7), _f32(0.5)]
    assert list(val_loss.y) == [_f32(1.0), _f32(0.8), _f32(0.75)]
    assert loss.raw_name == "epoch_loss"
    assert loss.source_path.endswith(os.path.join("train", "events.out.tfevents.1700000000.host.1.0.v2"))
    assert list(loss.source_lines) == [1, 2, 3]  # record 0 is the file_version header
    assert list(val_loss.source_lines) == [2, 4, 6]
    # evaluation_loss_vs_iterations: per-step validation at the global step
    assert list(run.steps["val_loss"].x) == [10, 20, 30]
    assert run.fit.steps_per_epoch == 10
    assert run.pairs() == [("accuracy", None), ("loss", "val_loss")]


def test_a_log_folder_with_a_generic_name_is_named_with_its_parent(tmp_path):
    _keras_run(tmp_path / "healthy_mlp" / "tb", [0.9], [1.0])
    assert [r.name for r in tensorboard.read(str(tmp_path / "healthy_mlp" / "tb"))] == ["healthy_mlp/tb"]


def test_a_single_validation_file_is_named_validation_series(tmp_path):
    _keras_run(tmp_path / "run", [0.9], [1.25])
    (path,) = glob.glob(str(tmp_path / "run" / "validation" / "*"))
    (run,) = tensorboard.read(path)
    assert list(run.epochs) == ["val_loss"] and run.epochs["val_loss"].last == 1.25


def test_batch_tags_are_step_series_and_learning_rate_is_canonical(tmp_path):
    events = [_event(step, _keras_scalar("batch_loss", 1.0 / step)) for step in range(1, 7)]
    events.append(_event(0, _keras_scalar("epoch_learning_rate", 0.01),
                         _keras_scalar("epoch_lr", 0.02)))
    _write_events(tmp_path / "train" / "events.out.tfevents.1.h", *events)
    (run,) = tensorboard.read(str(tmp_path))
    assert list(run.steps["loss"].x) == [1, 2, 3, 4, 5, 6]
    assert run.steps["loss"].raw_name == "batch_loss"
    assert run.epochs["learning_rate"].last == pytest.approx(0.02)  # lr → learning_rate too


def test_evaluate_only_validation_file_becomes_an_evaluation(tmp_path):
    _keras_run(tmp_path, [0.9, 0.7], [1.0, 0.8])
    _write_events(tmp_path / "validation" / "events.out.tfevents.1700000099.host.1.2.v2",
                  _event(20, _keras_scalar("evaluation_loss_vs_iterations", 0.66),
                         _keras_scalar("evaluation_accuracy_vs_iterations", 0.5)))
    (run,) = tensorboard.read(str(tmp_path))
    assert len(run.evaluations) == 1
    evaluation = run.evaluations[0]
    assert evaluation.metrics == {"loss": _f32(0.66), "accuracy": 0.5}
    assert evaluation.after_epoch == 2 and evaluation.source.line == 1
    assert list(run.steps["val_loss"].x) == [10, 20]  # the evaluate() value is not mixed in
    assert run.steps["val_loss"].last == _f32(0.8)


def test_several_runs_in_one_folder_are_separate_runs_named_by_relative_path(tmp_path):
    _keras_run(tmp_path / "exp" / "lr_0.1", [2.0, 1.0], [2.5, 1.5])
    _keras_run(tmp_path / "exp" / "lr_0.01" / "seed1", [3.0, 2.0, 1.0], [3.5, 2.5, 1.5])
    runs = tensorboard.read(str(tmp_path / "exp"))
    by_name = {run.name: run for run in runs}
    assert sorted(by_name) == ["lr_0.01/seed1", "lr_0.1"]
    assert by_name["lr_0.1"].epochs["loss"].last == 1.0
    assert by_name["lr_0.01/seed1"].epoch_count == 3
    assert all(len(run.paths) == 2 for run in runs)


def test_pytorch_style_tags_map_to_loss_and_val_loss_per_epoch(tmp_path):
    events = []
    for epoch in range(4):
        events.append(_event(epoch, _simple_value("Loss/train", 1.0 - epoch / 10)))
        events.append(_event(epoch, _simple_value("Loss/val", 1.2 - epoch / 10)))
        events.append(_event(epoch, _simple_value("Accuracy/test", 0.5 + epoch / 10)))
        events.append(_event(epoch, _simple_value("train/acc", 0.6 + epoch / 10)))
    _write_events(tmp_path / "runs" / "Jan01_host" / "events.out.tfevents.1.host", *events)
    (run,) = tensorboard.read(str(tmp_path / "runs"))
    assert sorted(run.epochs) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert list(run.epochs["loss"].x) == [1, 2, 3, 4]  # 0-based steps shifted like Keras
    assert run.epochs["val_loss"].raw_name == "Loss/val"
    assert run.epochs["val_accuracy"].last == pytest.approx(0.8)


def test_generic_per_iteration_tags_stay_per_step(tmp_path):
    events = [_event(step, _simple_value("train/loss", 1.0 / step)) for step in range(1, 200)]
    events += [_event(step, _simple_value("val/loss", 2.0 / step)) for step in (50, 100, 150)]
    _write_events(tmp_path / "events.out.tfevents.5.host", *events)
    (run,) = tensorboard.read(str(tmp_path))
    assert run.epochs == {}
    assert len(run.steps["loss"]) == 199 and list(run.steps["val_loss"].x) == [50, 100, 150]


def test_tf1_keras_tags_with_simple_values_are_epochs(tmp_path):
    events = [_event(epoch, _simple_value("loss", 1 / (epoch + 1)), _simple_value("acc", 0.5),
                     _simple_value("val_loss", 2 / (epoch + 1)), _simple_value("val_acc", 0.4))
              for epoch in range(5)]
    path = _write_events(tmp_path / "events.out.tfevents.9.host", *events)
    (run,) = tensorboard.read(str(path))
    assert sorted(run.epochs) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert list(run.epochs["val_loss"].x) == [1, 2, 3, 4, 5]


def test_a_run_logged_twice_into_one_folder_keeps_the_later_values_and_says_so(tmp_path):
    _write_events(tmp_path / "train" / "events.out.tfevents.100.h.1.0.v2",
                  *[_event(e, _keras_scalar("epoch_loss", 5.0)) for e in range(3)])
    _write_events(tmp_path / "train" / "events.out.tfevents.200.h.2.0.v2",
                  *[_event(e, _keras_scalar("epoch_loss", 1.0)) for e in range(2)])
    (run,) = tensorboard.read(str(tmp_path))
    assert list(run.epochs["loss"].y) == [1.0, 1.0, 5.0]
    assert any("several event files" in w for w in run.warnings)


def test_a_file_still_being_written_reads_its_complete_records(tmp_path):
    path = _write_events(tmp_path / "train" / "events.out.tfevents.1.h",
                         *[_event(e, _keras_scalar("epoch_loss", 1.0 / (e + 1))) for e in range(4)])
    path.write_bytes(path.read_bytes()[:-7])
    (run,) = tensorboard.read(str(path))
    assert list(run.epochs["loss"].x) == [1, 2, 3]
    assert any("ends inside record 4" in w for w in run.warnings)


def test_corrupt_length_crc_in_an_event_file_is_an_input_error(tmp_path):
    path = _write_events(tmp_path / "events.out.tfevents.1.h",
                         *[_event(e, _keras_scalar("epoch_loss", 1.0)) for e in range(4)])
    data = bytearray(path.read_bytes())
    offsets = [r.offset for r in tfrecord.iter_records(str(path))]
    data[offsets[3] + 9] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        tensorboard.read(str(path))
    assert info.value.path == str(path) and info.value.entry == "record 3"


def test_corrupt_data_of_a_scalar_record_is_an_input_error(tmp_path):
    path = _write_events(tmp_path / "events.out.tfevents.1.h",
                         *[_event(e, _keras_scalar("epoch_loss", 1.0)) for e in range(3)])
    data = bytearray(path.read_bytes())
    offset = list(tfrecord.iter_records(str(path)))[2].offset
    data[offset + 12 + 2] ^= 0x01  # inside wall_time: still decodes, checksum catches it
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        tensorboard.read(str(path))
    assert info.value.entry == "record 2" and "checksum" in info.value.message()


def test_in_a_folder_a_corrupt_file_is_a_warning_and_the_rest_is_read(tmp_path):
    _keras_run(tmp_path, [0.9, 0.7], [1.0, 0.8])
    bad = tmp_path / "validation" / "events.out.tfevents.1700000000.host.1.1.v2"
    data = bytearray(bad.read_bytes())
    data[8] ^= 0x01  # the header record's length checksum
    bad.write_bytes(bytes(data))
    (run,) = tensorboard.read(str(tmp_path))
    assert list(run.epochs) == ["loss"]
    assert any("record 0" in w and str(bad) in w for w in run.warnings)


def test_files_without_scalars_are_an_input_error(tmp_path):
    path = _write_events(tmp_path / "events.out.tfevents.1.h")
    with pytest.raises(InputError, match="scalar"):
        tensorboard.read(str(path))
    with pytest.raises(InputError, match="scalar"):
        tensorboard.read(str(tmp_path))
    with pytest.raises(InputError, match="nothing at that path"):
        tensorboard.read(str(tmp_path / "missing"))


def test_empty_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="tfevents"):
        tensorboard.read(str(tmp_path))


def test_cancel_stops_reading(tmp_path):
    _keras_run(tmp_path, [0.9], [1.0])

    class CancelNow:
        def report(self, fraction, message=""):
            pass

        def cancelled(self):
            return True

    with pytest.raises(Cancelled):
        tensorboard.read(str(tmp_path), CancelNow())


def test_progress_is_reported_per_file(tmp_path):
    _keras_run(tmp_path, [0.9], [1.0])
    seen = []

    class Recorder:
        def report(self, fraction, message=""):
            seen.append((fraction, message))

        def cancelled(self):
            return False

    tensorboard.read(str(tmp_path), Recorder())
    assert [m for _, m in seen[:2]] == ["events.out.tfevents.1700000000.host.1.0.v2",
                                         "events.out.tfevents.1700000000.host.1.1.v2"]
    assert seen[-1][0] == 1.0 and all(0 <= f <= 1 for f, _ in seen)


# --------------------------------------------------------------------------------------
# Detection and the load entry point
# --------------------------------------------------------------------------------------


def test_identify_by_name_by_content_and_folder(tmp_path):
    named = _write_events(tmp_path / "d" / "events.out.tfevents.1.h",
                          _event(0, _keras_scalar("epoch_loss", 1.0)))
    unnamed = tmp_path / "log.bin"
    shutil.copy(named, unnamed)
    other = tmp_path / "other.bin"
    other.write_bytes(tfrecord.encode_record(b"\x0a\x03abc"))  # a TFRecord, not an Event
    text = tmp_path / "tfevents_notes.txt"
    text.write_text("epoch 1 loss 0.5\n")
    assert tensorboard.identify(probe_file(str(named))) >= 0.9
    assert tensorboard.identify(probe_file(str(unnamed))) >= 0.9
    assert tensorboard.identify(probe_file(str(other))) == 0.0
    assert tensorboard.identify(probe_file(str(tmp_path / "d"))) >= 0.9
    assert tensorboard.identify(probe_file(str(tmp_path / "d" / ".."))) >= 0.9
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    assert tensorboard.identify(probe_file(str(empty_dir))) == 0.0
    assert tensorboard.identify(probe_file(str(text))) == 0.0  # text, whatever its name


def _all_readers_present() -> bool:
    from app.io import registry

    try:
        registry.readers()
    except ImportError:
        return False
    return True


def test_load_path_reads_an_event_file_with_any_name_and_a_log_folder(tmp_path):
    _keras_run(tmp_path / "logs", [0.9, 0.7], [1.0, 0.8])
    (train_file,) = glob.glob(str(tmp_path / "logs" / "train" / "*"))
    renamed = tmp_path / "renamed.bin"
    shutil.copy(train_file, renamed)
    assert [r.format for r in load_path(renamed).runs] == ["tensorboard"]
    loaded = load_path(tmp_path / "logs")
    assert [r.format for r in loaded.runs] == ["tensorboard"]
    assert sorted(loaded.runs[0].epochs) == ["loss", "val_loss"]


# --------------------------------------------------------------------------------------
# Robustness
# --------------------------------------------------------------------------------------


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash_tfrecord_or_the_decoder(tmp_path, data):
    path = tmp_path / "random.bin"
    path.write_bytes(data)
    try:
        for record in tfrecord.iter_records(str(path), warnings=[]):
            try:
                tfrecord.decode_event(record.data)
            except tfrecord.ProtoError:
                pass
    except InputError:
        pass
    try:
        tfrecord.decode_event(data)
    except tfrecord.ProtoError:
        pass


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=600), st.integers(min_value=0, max_value=5))
def test_random_records_in_valid_framing_never_crash_the_reader(tmp_path, payload, where):
    """Valid framing around random payloads reaches the protobuf decoder every time."""
    events = [_event(e, _keras_scalar("epoch_loss", 1.0)) for e in range(5)]
    events.insert(where, payload)
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(b"".join(tfrecord.encode_record(e) for e in events))
    assert tensorboard.identify(probe_file(str(path))) >= 0.9
    try:
        runs = tensorboard.read(str(path))
    except InputError as error:
        assert error.path == str(path)
    else:
        assert all(r.format == "tensorboard" for r in runs)


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=3000), st.integers(min_value=0, max_value=3000))
def test_mangled_real_event_files_never_crash_the_reader(tmp_path, noise, position):
    path = tmp_path / "events.out.tfevents.2.h"
    good = b"".join(tfrecord.encode_record(e) for e in
                    [HEADER] + [_event(e, _keras_scalar("epoch_loss", 0.5)) for e in range(20)])
    position = min(position, len(good))
    path.write_bytes(good[:position] + noise + good[position + len(noise):])
    try:
        tensorboard.read(str(path))
    except InputError:
        pass


def test_reading_imports_neither_tensorflow_nor_protobuf(tmp_path):
    _keras_run(tmp_path, [0.9], [1.0])
    code = ("import sys\nfrom app.io.readers import tensorboard\n"
            f"tensorboard.read({str(tmp_path)!r})\n"
            "print([m for m in ('tensorflow', 'tensorboard', 'google.protobuf', 'keras')"
            " if m in sys.modules])\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------
# Real fixtures: Keras TensorBoard callback logs of the fixture runs
# --------------------------------------------------------------------------------------


def _history(tb_dir: str) -> dict:
    with open(os.path.join(os.path.dirname(tb_dir), "history.json"), encoding="utf-8") as handle:
        return json.load(handle)


def _tags(tb_dir: str) -> set[str]:
    from app.io.tfrecord import decode_event, iter_records

    tags = set()
    for root, _, files in os.walk(tb_dir):
        for name in files:
            for record in iter_records(os.path.join(root, name)):
                tags.update(v.tag for v in decode_event(record.data).scalars)
    return tags


def _canonical(name: str) -> str:
    from app.core.run import canonical_metric

    return canonical_metric(name)


@pytest.mark.parametrize("tb_dir", FIXTURE_TB_DIRS, ids=lambda p: Path(p).parent.name)
def test_fixture_logs_match_the_runs_history(tb_dir):
    history_path = os.path.join(os.path.dirname(tb_dir), "history.json")
    if not os.path.exists(history_path):
        pytest.skip("no history.json next to tb/")
    history = _history(tb_dir)
    runs = tensorboard.read(tb_dir)
    assert len(runs) == 1
    run = runs[0]
    compared = 0
    for raw, values in history.items():
        name = _canonical(raw)
        if name in ("learning_rate", "val_learning_rate"):
            continue  # Keras logs the optimizer's rate to TensorBoard, not always to History
        series = run.epochs.get(name)
        assert series is not None, f"{name} missing from {sorted(run.epochs)}"
        expected = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        if "batch_" + raw.removeprefix("val_") in _tags(tb_dir):
            # Keras 3 with an integer update_freq writes the epoch summaries only every
            # update_freq-th epoch (healthy_conv1d: epochs 4, 8, 12): compare those.
            assert 1 <= len(series.x) < len(values)
            expected = expected[np.asarray(series.x) - 1]
        else:
            assert list(series.x) == list(range(1, len(values) + 1))
        assert np.allclose(series.y, expected, rtol=1e-6, atol=0, equal_nan=True), name
        compared += 1
    assert compared >= 1
    if any(k.startswith("val_") for k in history):
        validation = [s for n, s in run.epochs.items() if n.startswith("val_")]
        assert validation and all(
            os.sep + "validation" + os.sep in s.source_path for s in validation)
    for series in run.epochs.values():
        assert series.source_lines is not None and (series.source_lines >= 1).all()


def test_truncated_copy_of_a_fixture_event_file_reads_what_it_can(tmp_path):
    train_files = [f for d in FIXTURE_TB_DIRS for f in glob.glob(os.path.join(d, "train", "*tfevents*"))]
    candidates = []
    for path in train_files:
        records = list(tfrecord.iter_records(path))
        epochs = sum(1 for r in records
                     if any(s.tag == "epoch_loss" for s in tfrecord.decode_event(r.data).scalars))
        if epochs >= 2:
            candidates.append((path, records))
    if not candidates:
        pytest.skip("no fixture train log with two epochs")
    path, records = candidates[0]
    full = tensorboard.read(path)[0].epochs["loss"]
    last_loss = max(r.index for r in records
                    if any(s.tag == "epoch_loss" for s in tfrecord.decode_event(r.data).scalars))
    cut_at = records[last_loss].offset + 12 + len(records[last_loss].data) // 2
    copy = tmp_path / "train" / os.path.basename(path)
    copy.parent.mkdir()
    copy.write_bytes(Path(path).read_bytes()[:cut_at])
    (run,) = tensorboard.read(str(copy))
    partial = run.epochs["loss"]
    assert len(partial) == len(full) - 1
    assert np.array_equal(partial.y, full.y[:-1], equal_nan=True)
    assert any(f"ends inside record {last_loss}" in w for w in run.warnings)


def test_fixture_event_files_carry_real_keras_headers():
    files = [f for d in FIXTURE_TB_DIRS
             for f in glob.glob(os.path.join(d, "**", "*tfevents*"), recursive=True)]
    assert files
    for path in files:
        first = next(tfrecord.iter_records(path, verify_data=True))
        assert tfrecord.decode_event(first.data).file_version == "brain.Event:2"
        assert tensorboard.identify(probe_file(path)) >= 0.9


# --------------------------------------------------------------------------------------
# Real fixtures: other frameworks' TensorBoard logs (tools/make_framework_fixtures.py)
# --------------------------------------------------------------------------------------

OTHER = ROOT / "tests" / "fixtures" / "other"


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path.relative_to(ROOT)} not generated")


def test_pytorch_summarywriter_log_gives_the_values_passed_to_add_scalar():
    folder = OTHER / "torch_summarywriter_tb"
    _need(folder / "expected.json")
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    (run,) = tensorboard.read(str(folder))
    assert run.name == "torch_summarywriter_tb"
    for tag, name in (("Loss/train", "loss"), ("Loss/val", "val_loss"), ("Accuracy/val", "val_accuracy")):
        series = run.epochs[name]
        assert series.raw_name == tag
        assert list(series.x) == [epoch + 1 for epoch, _ in expected[tag]]  # 0-based epochs
        assert np.allclose(series.y, [v for _, v in expected[tag]], rtol=1e-6, atol=0)
    batches = run.steps["loss_train_batch"]
    assert list(batches.x) == [step for step, _ in expected["Loss/train_batch"]]
    assert np.allclose(batches.y, [v for _, v in expected["Loss/train_batch"]], rtol=1e-6, atol=0)
    assert "weights/0" not in " ".join(run.metric_names())  # the histogram is skipped


def _lightning_csv() -> list[dict[str, str]]:
    import csv

    with open(OTHER / "lightning_mlp" / "metrics.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_lightning_tensorboard_log_agrees_with_its_csvlogger_twin():
    """One Lightning run logged to CSVLogger and TensorBoardLogger: same numbers."""
    _need(OTHER / "lightning_mlp_tb")
    _need(OTHER / "lightning_mlp" / "metrics.csv")
    rows = _lightning_csv()
    (run,) = tensorboard.read(str(OTHER / "lightning_mlp_tb"))
    by_epoch = {
        "loss": {int(r["epoch"]) + 1: float(r["train_loss_epoch"]) for r in rows if r["train_loss_epoch"]},
        "accuracy": {int(r["epoch"]) + 1: float(r["train_acc_epoch"]) for r in rows if r["train_acc_epoch"]},
        "val_loss": {int(r["epoch"]) + 1: float(r["val_loss"]) for r in rows if r["val_loss"]},
        "val_accuracy": {int(r["epoch"]) + 1: float(r["val_acc"]) for r in rows if r["val_acc"]},
    }
    assert sorted(run.epochs) == sorted(by_epoch)
    for name, values in by_epoch.items():
        series = run.epochs[name]
        assert list(series.x) == sorted(values), name
        assert np.allclose(series.y, [values[e] for e in sorted(values)], rtol=1e-6, atol=0), name
    step_loss = {int(r["step"]): float(r["train_loss_step"]) for r in rows if r["train_loss_step"]}
    assert list(run.steps["loss"].x) == sorted(step_loss)
    assert np.allclose(run.steps["loss"].y, [step_loss[s] for s in sorted(step_loss)], rtol=1e-6)
    learning_rate = {int(r["step"]): float(r["lr-SGD"]) for r in rows if r["lr-SGD"]}
    assert dict(zip(run.steps["learning_rate"].x.tolist(), run.steps["learning_rate"].y.tolist())) == \
        pytest.approx(learning_rate)


def test_hugging_face_tensorboard_log_agrees_with_its_trainer_state():
    _need(OTHER / "hf_tiny_tb")
    _need(OTHER / "hf_tiny" / "trainer_state.json")
    state = json.loads((OTHER / "hf_tiny" / "trainer_state.json").read_text(encoding="utf-8"))
    (run,) = tensorboard.read(str(OTHER / "hf_tiny_tb"))
    evals = [h for h in state["log_history"] if "eval_loss" in h]
    assert list(run.epochs["val_loss"].x) == [round(h["epoch"]) for h in evals]
    assert np.allclose(run.epochs["val_loss"].y, [h["eval_loss"] for h in evals], rtol=1e-6)
    assert np.allclose(run.epochs["val_accuracy"].y, [h["eval_accuracy"] for h in evals], rtol=1e-6)
    train = [h for h in state["log_history"] if "loss" in h]
    assert list(run.steps["loss"].x) == [h["step"] for h in train]
    assert np.allclose(run.steps["loss"].y, [h["loss"] for h in train], rtol=1e-6)
    assert np.allclose(run.steps["learning_rate"].y, [h["learning_rate"] for h in train], rtol=1e-6)
    # "train/train_loss" (logged once at the end, after the last checkpoint) is the mean
    # over all steps: kept apart from the per-step "loss" it would otherwise overwrite.
    (final,) = run.steps["train_loss"].y
    assert list(run.steps["train_loss"].x) == [state["global_step"]]
    assert final == pytest.approx(np.mean([h["loss"] for h in train]), rel=1e-5)
    assert run.steps["loss"].last == pytest.approx(train[-1]["loss"], rel=1e-6)


def test_truncated_copy_of_a_real_pytorch_event_file_reads_what_it_can(tmp_path):
    (source,) = glob.glob(str(OTHER / "torch_summarywriter_tb" / "*tfevents*")) or [None]
    if source is None:
        pytest.skip("torch_summarywriter_tb not generated")
    records = list(tfrecord.iter_records(source))
    last_val = max(r.index for r in records
                   if any(s.tag == "Loss/val" for s in tfrecord.decode_event(r.data).scalars))
    cut_at = records[last_val].offset + 5  # inside the header of that record
    copy = tmp_path / os.path.basename(source)
    copy.write_bytes(Path(source).read_bytes()[:cut_at])
    (run,) = tensorboard.read(str(copy))
    full = tensorboard.read(source)[0]
    assert len(run.epochs["val_loss"]) == len(full.epochs["val_loss"]) - 1
    assert np.array_equal(run.epochs["val_loss"].y, full.epochs["val_loss"].y[:-1])
    assert any(f"ends inside record {last_val}" in w for w in run.warnings)
