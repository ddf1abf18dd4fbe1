"""tools/fuzz.py: the harness anyone can run (issue 20) mutates real inputs and sorts each
outcome into diagnosed, refused with a message, or failed (kept as a reproducer)."""

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import fuzz  # noqa: E402  (tools/ is not a package)


def test_mutations_change_the_input_and_edit_numbers():
    rng = random.Random(1)
    seed = b'{"loss": [0.5, 0.25, 0.125]}'
    outs = {fuzz.mutate(seed, [seed], rng) for _ in range(50)}
    assert len(outs) > 30 and seed not in outs
    assert any(edge in out for out in outs for edge in (b"inf", b"nan", b"1e308", b"9" * 400))


def test_outcomes_are_diagnosed_refused_or_failed(tmp_path):
    assert fuzz.run_one(b'{"loss": [0.5, 0.25, 0.125]}', ".json", str(tmp_path), 30) == "ok"
    assert fuzz.run_one(b"\x00\x01 not a log", ".json", str(tmp_path), 30) == "refused"


def test_a_short_run_reports_its_counts(capsys, tmp_path):
    assert fuzz.main(["history_json", "--seconds", "1", "--out", str(tmp_path / "found")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("history_json: ") and "diagnosed" in out and "0 failed" in out
