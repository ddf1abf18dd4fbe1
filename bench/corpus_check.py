"""Check the corpus cases under ``bench/corpus/cases``: every ``meta.json`` is complete, its
ids are the taxonomy's, its log exists and holds numbers, its script (if any) reads.

    .venv/bin/python bench/corpus_check.py            # every case
    .venv/bin/python bench/corpus_check.py ID ...     # some cases

Prints one line per problem and exits 1 when there is any. See ``bench/corpus/README.md``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "corpus" / "cases"
TAXONOMY = HERE.parent / "docs" / "TAXONOMY.md"

REQUIRED = ("id", "title", "source_url", "source", "source_kind", "language", "framework", "era",
            "log_shape", "trimmed", "healthy", "symptoms", "causes", "label_status",
            "confirmed_by", "fix", "task", "model", "code_file")
SOURCE_KINDS = {"github_issue", "qa_page", "notebook", "tutorial", "blog", "repo_log"}
LOG_SHAPES = {"keras_verbose1", "keras_verbose2", "keras_steps", "keras_evaluate", "custom_loop",
              "pytorch_loop", "tf1_loop", "caffe", "hf_dict", "fastai_table", "lightning_bar",
              "tqdm", "csvlogger", "history_json", "other"}
FRAMEWORKS = {"keras", "tf.keras", "tensorflow", "pytorch", "lightning", "huggingface", "fastai",
              "caffe", "mxnet", "other"}
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{2,120}$")
NUMBER = re.compile(r"\d\.\d|\bnan\b|\binf\b", re.I)


def taxonomy_ids() -> tuple[set[str], set[str]]:
    """(symptom ids, cause ids) from the tables of docs/TAXONOMY.md."""
    symptoms: set[str] = set()
    causes: set[str] = set()
    section = None
    for line in TAXONOMY.read_text(encoding="utf-8").splitlines():
        if line.startswith("## Symptoms"):
            section = symptoms
        elif line.startswith("## Causes"):
            section = causes
        elif line.startswith("## "):
            section = None
        match = re.match(r"\|\s*`([a-z_0-9]+)`\s*\|", line)
        if match and section is not None:
            section.add(match.group(1))
    return symptoms, causes


def check_case(folder: Path, symptoms: set[str], causes: set[str]) -> list[str]:
    problems: list[str] = []

    def bad(text: str) -> None:
        problems.append(f"{folder.name}: {text}")

    meta_path = folder / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"{folder.name}: meta.json unreadable ({error})"]
    for key in REQUIRED:
        if key not in meta:
            bad(f"meta.json lacks {key!r}")
    if problems:
        return problems
    if meta["id"] != folder.name or not ID_PATTERN.match(folder.name):
        bad(f"id {meta['id']!r} must equal the folder name and match {ID_PATTERN.pattern}")
    if not str(meta["source_url"]).startswith(("http://", "https://")):
        bad("source_url is not a URL")
    if meta["source"] != meta["source"].lower() or meta["source"].startswith("http"):
        bad("source must be host + path in lower case, without the scheme")
    if meta["source_kind"] not in SOURCE_KINDS:
        bad(f"source_kind {meta['source_kind']!r} not in {sorted(SOURCE_KINDS)}")
    if meta["log_shape"] not in LOG_SHAPES:
        bad(f"log_shape {meta['log_shape']!r} not in {sorted(LOG_SHAPES)}")
    if meta["framework"] not in FRAMEWORKS:
        bad(f"framework {meta['framework']!r} not in {sorted(FRAMEWORKS)}")
    if meta["label_status"] not in ("confirmed", "likely"):
        bad("label_status must be 'confirmed' or 'likely'")
    if not isinstance(meta["healthy"], bool):
        bad("healthy must be true or false")
    for symptom in meta["symptoms"]:
        if symptom not in symptoms or symptom == "healthy":
            bad(f"symptom {symptom!r} is not a taxonomy symptom id")
    for cause in meta["causes"]:
        if cause not in causes and cause != "unknown":
            bad(f"cause {cause!r} is not a taxonomy cause id (or 'unknown')")
    if meta["healthy"] and (meta["symptoms"] or meta["causes"]):
        bad("a healthy run has no symptoms and no causes")
    if not meta["healthy"] and not meta["symptoms"] and not meta["causes"]:
        bad("a faulty run needs symptoms or causes")
    log = folder / meta.get("log_file", "log.txt")
    if not log.is_file():
        bad(f"no log file {log.name}")
    else:
        text = log.read_text(encoding="utf-8", errors="replace")
        if len(NUMBER.findall(text)) < 2:
            bad(f"{log.name} holds fewer than two printed numbers")
    code = meta["code_file"]
    if code is not None and not (folder / code).is_file():
        bad(f"code_file {code!r} is missing")
    if not isinstance(meta["task"], dict) or not isinstance(meta["model"], dict):
        bad("task and model must be objects")
    return problems


def main(argv: list[str]) -> int:
    symptoms, causes = taxonomy_ids()
    folders = [CASES / name for name in argv] if argv else sorted(
        p for p in CASES.iterdir() if p.is_dir())
    problems: list[str] = []
    for folder in folders:
        problems.extend(check_case(folder, symptoms, causes))
    for line in problems:
        print(line)
    healthy = 0
    for folder in folders:
        try:
            healthy += bool(json.loads((folder / "meta.json").read_text("utf-8")).get("healthy"))
        except (OSError, ValueError):
            pass
    print(f"{len(folders)} case(s), {healthy} healthy, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
