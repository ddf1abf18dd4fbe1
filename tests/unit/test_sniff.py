"""Encoding detection and text streaming: UTF-8 (BOM or not), GB18030/GBK, UTF-16, CRLF."""

import pytest

from app.io.sniff import TextSource, detect_encoding, probe_file, probe_text

LOG = (
    "训练开始 (training starts)\r\n"
    "Epoch 1/2\r\n"
    "10/10 [==============================] - 1s 5ms/step - loss: 0.6931 - accuracy: 0.5000\r\n"
    "Epoch 2/2\r\n"
    "10/10 [==============================] - 0s 4ms/step - loss: 0.5000 - accuracy: 0.7500\r\n"
)


@pytest.mark.parametrize(
    "encoding, expected",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16-le"),  # Python writes a little-endian BOM
        ("utf-16-le", "utf-16-le"),  # no BOM: found by the NUL pattern
        ("utf-16-be", "utf-16-be"),
    ],
)
def test_detects_encoding_and_streams_the_same_text(tmp_path, encoding, expected):
    path = tmp_path / "log.txt"
    path.write_bytes(LOG.encode(encoding))
    assert detect_encoding(path.read_bytes()) == expected
    probe = probe_file(str(path))
    assert probe.encoding == expected
    assert "Epoch 1/2" in probe.text
    source = TextSource.from_file(str(path), probe.encoding)
    text = "".join(source.chunks(size=7))
    assert text.lstrip("\ufeff") == LOG  # CRLF kept: readers see the real line ends


def test_utf8_character_cut_at_the_head_boundary_is_still_utf8():
    data = ("x" * 65535 + "训").encode("utf-8")
    assert detect_encoding(data[:65536]) == "utf-8"


def test_binary_is_not_text(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 10)
    probe = probe_file(str(path))
    assert probe.text is None and probe.encoding is None


def test_pasted_text_drops_bom_and_keeps_carriage_returns():
    probe = probe_text("\ufeffEpoch 1/1\r 1/5 [>....]\r 5/5 [=====]\n")
    assert probe.text.startswith("Epoch")
    source = TextSource.from_text("\ufeffEpoch 1/1\r 1/5\n")
    assert source.head() == "Epoch 1/1\r 1/5\n"
