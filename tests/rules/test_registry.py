"""Meta-tests of the rule registry: ids match the taxonomy, every rule is complete."""

import re
from pathlib import Path

import pytest

from app.core.i18n import Text
from app.core.ids import CAUSES, SYMPTOMS
from app.rules import registry

TAXONOMY = Path(__file__).resolve().parents[2] / "docs" / "TAXONOMY.md"


def _table_ids(heading: str) -> list[str]:
    text = TAXONOMY.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_0-9]+)` \|", section, flags=re.M)


def test_ids_match_the_taxonomy():
    assert list(SYMPTOMS) == _table_ids("## Symptoms")
    assert list(CAUSES) == _table_ids("## Causes")


def test_every_symptom_has_one_detector():
    assert sorted(d.id for d in registry.detectors()) == sorted(SYMPTOMS)


def test_every_taxonomy_cause_has_exactly_one_rule():
    ids = [rule.id for rule in registry.cause_rules()]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(c for c in CAUSES if c != "unknown")


@pytest.mark.parametrize("rule", registry.cause_rules(), ids=lambda r: r.id)
def test_rule_is_documented_in_both_languages(rule):
    for field in ("title", "explanation", "when_not"):
        text = getattr(rule, field)
        assert isinstance(text, Text), field
        assert text.en.strip() and text.zh_CN.strip(), field
        assert re.search(r"[\u4e00-\u9fff]", text.zh_CN), f"{field} has no Chinese text"
    for item in rule.explains:
        assert item.symptom in SYMPTOMS and 0 < item.weight <= 1


@pytest.mark.parametrize("detector", registry.detectors(), ids=lambda d: d.id)
def test_detector_is_documented_in_both_languages(detector):
    assert detector.title.en and re.search(r"[\u4e00-\u9fff]", detector.title.zh_CN)
    assert detector.description.en and detector.description.zh_CN


def test_module_name_is_the_id():
    for spec in registry.CAUSE_RULES + registry.SYMPTOM_DETECTORS:
        module, _, cls = spec.partition(":")
        loaded = registry._load(spec)
        assert module.rsplit(".", 1)[1] == loaded.id
