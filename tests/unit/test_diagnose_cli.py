"""``traindoc diagnose``, ``rules`` and ``explain`` on the seed logs."""

import json
from pathlib import Path

import jsonschema
import pytest

from app.cli import main
from app.cli.catalog import render_catalog

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
SCHEMA = json.loads((ROOT / "app" / "schemas" / "diagnosis.schema.json").read_text(encoding="utf-8"))


def _diagnose_json(capsys, *args):
    code = main(["diagnose", *map(str, args), "--format", "json"])
    out = capsys.readouterr().out
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    return code, data


def test_seed004_log_alone_shows_nan_and_points_at_the_output_activation(capsys, tmp_path):
    text = (SEEDS / "seed004.txt").read_text(encoding="utf-8")
    log = tmp_path / "log.txt"
    log.write_text(text[text.index("训练输出"):], encoding="utf-8")  # the post's log, without its code
    code, data = _diagnose_json(capsys, log)
    assert code == 0
    symptoms = {s["id"]: s for s in data["symptoms"]}
    assert "nan_loss" in symptoms
    # From the log alone the cause is possible, not reported: listed with what would settle it.
    causes = [f["cause"] for f in data["possible"]]
    assert "final_activation_mismatch" in causes
    finding = next(f for f in data["possible"] if f["cause"] == "final_activation_mismatch")
    assert finding["settle"], "without a model the finding says what would settle it"
    assert any(e["code"] == "nan_loss" for e in finding["evidence"])


def test_seed004_whole_post_reads_its_code_too_and_cites_the_line(capsys):
    """The forum post quotes the code above the log: both are read (the code never run),
    and the finding holds the code line as evidence next to the NaN epochs."""
    code, data = _diagnose_json(capsys, SEEDS / "seed004.txt")
    assert code == 0
    assert data["diagnoses"][0]["model"] == "functional"
    top = data["findings"][0]
    assert top["cause"] == "final_activation_mismatch" and not top["settle"]
    static = [e for e in top["evidence"] if e["source"] and e["source"]["line"] == 20]
    assert static and static[0]["source"]["snippet"] == "Dense(numclasses, activation='relu')"
    assert any(e["code"] == "nan_loss" for e in top["evidence"])


@pytest.mark.parametrize("name, cause", [("seed000", "unsafe_lambda_layer"),
                                         ("seed001", "softmax_with_binary_crossentropy")])
def test_a_post_with_only_code_is_diagnosed_from_its_code(capsys, name, cause):
    code, data = _diagnose_json(capsys, SEEDS / f"{name}.txt")
    assert code == 0 and data["diagnoses"][0]["model"]
    assert cause in [f["cause"] for f in data["findings"]]


# The causes each seed shows, from the seed column of ../shared/TAXONOMY.md (docs/TAXONOMY.md).
SEED_CAUSES = {
    "seed000": {"mse_for_classification", "vanishing_gradients", "class_imbalance", "unsafe_lambda_layer"},
    "seed001": {"softmax_with_binary_crossentropy", "adam_epsilon_too_small", "activation_on_input"},
    "seed002": {"softmax_with_binary_crossentropy", "batchnorm_train_inference_mismatch", "no_shuffle_sorted_data",
                "dense_bottleneck", "unnormalized_inputs"},
    "seed004": {"final_activation_mismatch", "exploding_gradients"},
}
MUST = {"seed000": "mse_for_classification", "seed001": "adam_epsilon_too_small",
        "seed002": "softmax_with_binary_crossentropy", "seed004": "final_activation_mismatch"}


@pytest.mark.parametrize("name", sorted(SEED_CAUSES))
def test_each_seed_post_alone_gets_its_causes_as_the_top_three(capsys, name):
    """Issue 13: the seed texts given alone to traindoc diagnose (prose, code, log as posted)
    get the causes the taxonomy's seed column names as their top three findings."""
    code, data = _diagnose_json(capsys, SEEDS / f"{name}.txt")
    assert code == 0
    top = [f["cause"] for f in data["findings"]][:3]
    assert MUST[name] in top, top
    assert set(top) <= SEED_CAUSES[name], top


def test_seed003_a_list_of_lessons_is_read_as_prose_without_a_refusal(capsys):
    code, data = _diagnose_json(capsys, SEEDS / "seed003.txt")
    assert code == 0
    assert data["inputs"] and data["findings"] == []  # no run to blame anything on


def test_seed002_log_alone_shows_validation_stuck_and_eval_mismatch(capsys):
    code, data = _diagnose_json(capsys, SEEDS / "seed002.txt")
    assert code == 0
    ids = {s["id"] for s in data["symptoms"]}
    assert {"val_stuck_train_improves", "eval_mismatch"} <= ids


def test_text_output_reads_like_a_diagnosis(capsys):
    assert main(["diagnose", str(SEEDS / "seed004.txt")]) == 0
    out = capsys.readouterr().out
    assert "Most likely cause" in out and "nan_loss" in out and "Evidence:" in out


def test_chinese_output(capsys):
    assert main(["diagnose", str(SEEDS / "seed004.txt"), "--lang", "zh_CN"]) == 0
    out = capsys.readouterr().out
    assert "最可能的原因" in out


def test_output_file_is_new_and_inputs_are_never_overwritten(tmp_path, capsys):
    log = tmp_path / "seed004.txt"
    log.write_bytes((SEEDS / "seed004.txt").read_bytes())
    before = log.read_bytes()
    out = tmp_path / "diagnosis.json"
    assert main(["diagnose", str(log), "--format", "json", "-o", str(out)]) == 0
    jsonschema.validate(json.loads(out.read_text(encoding="utf-8")), SCHEMA)
    assert main(["diagnose", str(log), "-o", str(log)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert log.read_bytes() == before


def test_all_adds_weaker_candidates_marked_as_such(capsys):
    _, reported = _diagnose_json(capsys, SEEDS / "seed004.txt")
    main(["diagnose", str(SEEDS / "seed004.txt"), "--format", "json", "--all"])
    everything = json.loads(capsys.readouterr().out)
    assert len(everything["findings"]) >= len(reported["findings"])
    assert all(f["reported"] for f in reported["findings"])
    assert any(not f["reported"] for f in everything["findings"]) or \
        len(everything["findings"]) == len(reported["findings"])


def test_unreadable_input_exits_2(tmp_path, capsys):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    assert main(["diagnose", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err


def test_rules_catalog_lists_every_taxonomy_id(capsys):
    from app.core.ids import SYMPTOMS

    assert main(["rules", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in data["symptoms"]] == list(SYMPTOMS)
    assert all(c["title"] and c["explanation"] for c in data["causes"])


def test_rule_reference_docs_are_generated_from_the_registry():
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render_catalog("md"), "regenerate: traindoc rules --format md > docs/rules.md"


@pytest.mark.parametrize("rule_id", ["final_activation_mismatch", "nan_loss"])
def test_explain(capsys, rule_id):
    assert main(["explain", rule_id]) == 0
    assert rule_id in capsys.readouterr().out
    assert main(["explain", "no_such_rule"]) == 2


@pytest.mark.parametrize("scenario", sorted(p.name for p in (ROOT / "tests" / "fixtures" / "runs").iterdir()
                                            if (p / "console_v1.txt").exists()))
def test_json_of_every_fixture_run_with_its_model_validates(capsys, scenario):
    """Model + log of each real fixture, --all: every evidence piece serializes (numpy
    scalars computed by the rules included) and the document follows the schema."""
    folder = ROOT / "tests" / "fixtures" / "runs" / scenario
    model = next(folder / n for n in ("model.keras", "model.h5") if (folder / n).exists())
    code = main(["diagnose", str(model), str(folder / "console_v1.txt"), "--format", "json", "--all"])
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    assert code == 0 and data["diagnoses"][0]["model"]
    assert all(isinstance(e["supports"], bool) for f in data["findings"] for e in f["evidence"])


TRAIN_PY = '''from tensorflow import keras
from tensorflow.keras import layers

num_classes = 2
model = keras.Sequential([
    keras.Input(shape=(32,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(num_classes, activation="relu"),
])
model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=1e-3),
              metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=32, shuffle=False, validation_split=0.2)
'''


def test_training_code_alone_is_diagnosed_with_its_lines(tmp_path, capsys):
    train = tmp_path / "train.py"
    train.write_text(TRAIN_PY, encoding="utf-8")
    code, data = _diagnose_json(capsys, train)
    assert code == 0
    findings = {f["cause"]: f for f in data["findings"]}
    top = findings["final_activation_mismatch"]
    assert any(e["source"] and e["source"]["line"] == 8 for e in top["evidence"])  # the Dense line
    shuffle = findings["no_shuffle_sorted_data"]  # fit(shuffle=False), line 12
    assert any(e["source"] and e["source"]["line"] == 12 for e in shuffle["evidence"])


def test_code_settings_join_a_model_file_and_its_log(tmp_path, capsys):
    train = tmp_path / "train.py"
    train.write_text(TRAIN_PY.replace("shuffle=False", "shuffle=False, batch_size=4")
                     .replace("batch_size=32, ", ""), encoding="utf-8")
    folder = ROOT / "tests" / "fixtures" / "runs" / "seed002_softmax_bce_bn"
    assert main(["diagnose", str(folder / "model.keras"), str(folder / "console_v1.txt"),
                 "--code", str(train), "--format", "json", "--all"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["diagnoses"]) == 1
    causes = {f["cause"]: f for f in data["findings"]}
    # The file's model is what trained and is diagnosed (softmax + BCE; the code's relu output
    # is not), and the code's fit() settings count too.
    assert causes["softmax_with_binary_crossentropy"]["reported"]
    assert not causes.get("final_activation_mismatch", {}).get("reported", False)
    assert any(e["code"].startswith("shuffle") or "shuffle" in e["text"]
               for e in causes["no_shuffle_sorted_data"]["evidence"])
    small = causes["batchnorm_small_batch"]
    assert any("4" in e["text"] for e in small["evidence"] if e["weight"] > 0)
