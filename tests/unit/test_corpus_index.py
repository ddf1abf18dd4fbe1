"""The committed corpus index (bench/corpus/INDEX.md) lists every case as its meta.json says."""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import corpus_index  # noqa: E402  (bench/ is not a package)


def test_the_committed_index_matches_the_cases():
    assert corpus_index.main(["--check"]) == 0, "run: .venv/bin/python bench/corpus_index.py"


def test_every_case_has_a_row_with_its_source_link():
    text = (BENCH / "corpus" / "INDEX.md").read_text(encoding="utf-8")
    for folder in (BENCH / "corpus" / "cases").iterdir():
        assert f"[{folder.name}](cases/{folder.name}/)" in text
    assert "(https://github.com/dmonterom/face_recognition_TF2/issues/2)" in text
