"""Make each corpus case's ``model.json`` from its ``train.py``, with real Keras.

    .venv/bin/python bench/corpus_models.py            # every case with a train.py
    .venv/bin/python bench/corpus_models.py ID ...     # some cases
    .venv/bin/python bench/corpus_models.py --check    # only say which model.json is missing or stale

``train.py`` is our own script (``bench/corpus/README.md``): its ``build_model()`` is called
(the data loading and ``fit`` below ``if __name__ == "__main__":`` are not) and the compiled
model's ``to_json()`` is written next to it, with the compile settings added as Keras'
legacy ``.h5`` files store them (``training_config``), so ``traindoc`` reads the same model
and settings a user's saved model gives. Nothing here reads a user's file: the scripts are
the corpus's own. Needs TensorFlow (the project's venv has it).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "corpus" / "cases"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _stale(folder: Path, code: Path) -> bool:
    target = folder / "model.json"
    if not target.is_file():
        return True
    try:
        return json.loads(target.read_text(encoding="utf-8")).get("traindoc_corpus", {}).get("train_py") != _digest(code)
    except ValueError:
        return True


def build(folder: Path, code: Path) -> None:
    import keras

    spec = importlib.util.spec_from_file_location(f"corpus_{folder.name.replace('-', '_')}", code)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)  # our own script: defines build_model(), fits nothing
    keras.utils.clear_session()
    model = module.build_model()
    config = json.loads(model.to_json())
    if getattr(model, "optimizer", None) is not None and getattr(model, "compiled", True):
        config["training_config"] = {
            "loss": _plain(getattr(model, "loss", None)),
            "metrics": _plain(getattr(model, "_compile_metrics", None) and model._compile_metrics._user_metrics),
            "optimizer_config": {"class_name": type(model.optimizer).__name__,
                                 "config": _plain(model.optimizer.get_config())},
        }
    config["traindoc_corpus"] = {"train_py": _digest(code), "made_by": "bench/corpus_models.py",
                                 "keras": keras.__version__}
    target = folder / "model.json"
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, target)


def _plain(value):
    """Keras objects in the compile settings as plain data (names and configs)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "get_config"):
        try:
            return {"class_name": type(value).__name__, "config": _plain(value.get_config())}
        except Exception:  # a loss function object without a config
            pass
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    ids = [a for a in argv if not a.startswith("--")]
    folders = [CASES / i for i in ids] if ids else sorted(p for p in CASES.iterdir() if p.is_dir())
    todo = []
    for folder in folders:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if not meta.get("code_file"):
            continue
        code = folder / meta["code_file"]
        if ids or _stale(folder, code):
            todo.append((folder, code))
    if check:
        for folder, _ in todo:
            print(f"{folder.name}: model.json missing or older than train.py")
        return 1 if todo else 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    failed = 0
    for folder, code in todo:
        try:
            build(folder, code)
            print(f"{folder.name}: model.json written")
        except Exception as error:  # report and go on: one bad script must not stop the others
            failed += 1
            print(f"{folder.name}: FAILED ({type(error).__name__}: {error})")
    print(f"{len(todo) - failed} written, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
