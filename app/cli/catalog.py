"""The rule catalog, generated from the registry: ``traindoc rules`` and ``docs/rules.md``.

``docs/rules.md`` is this module's Markdown output, committed; a test fails when it is out
of date (regenerate with ``traindoc rules --format md > docs/rules.md``).
"""

from __future__ import annotations

import json

from app.core.ids import SYMPTOMS
from app.rules import registry
from app.rules.base import CauseRule


def _rule_fixes(rule: CauseRule) -> list[str]:
    """Patch ids a rule proposes, from its fixes on an empty context (static listing)."""
    from app.rules.base import Context

    try:
        return [fix.id for fix in rule.fixes(Context())]
    except Exception:  # a rule whose fixes need a model still lists nothing rather than fail
        return []


def catalog(lang: str = "en") -> dict:
    return {
        "symptoms": [
            {"id": d.id, "title": d.title.render(lang), "description": d.description.render(lang)}
            for d in sorted(registry.detectors(), key=lambda d: SYMPTOMS.index(d.id))  # taxonomy order
        ],
        "causes": [
            {
                "id": r.id,
                "title": r.title.render(lang),
                "explanation": r.explanation.render(lang),
                "when_not": r.when_not.render(lang),
                "explains": {item.symptom: item.weight for item in r.explains},
                "needs": list(r.needs),
                "fixes": _rule_fixes(r),
            }
            for r in registry.cause_rules()
        ],
    }


def render_catalog(fmt: str = "text", lang: str = "en") -> str:
    data = catalog(lang)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        return _markdown(data)
    lines = ["Symptoms:"]
    width = max(len(s["id"]) for s in data["symptoms"] + data["causes"])
    lines += [f"  {s['id']:<{width}}  {s['title']}" for s in data["symptoms"]]
    lines += ["", "Causes:"]
    lines += [f"  {c['id']:<{width}}  {c['title']}" for c in data["causes"]]
    lines += ["", "'traindoc explain ID' prints the explanation of one id."]
    return "\n".join(lines) + "\n"


def _markdown(data: dict) -> str:
    out = [
        "# Rule reference",
        "",
        "Generated from the rule registry by `traindoc rules --format md`; do not edit by hand.",
        "Ids are those of [TAXONOMY.md](TAXONOMY.md).",
        "",
        "## Symptoms",
        "",
        "| id | title | what it looks like |",
        "|---|---|---|",
    ]
    out += [f"| `{s['id']}` | {s['title']} | {s['description']} |" for s in data["symptoms"]]
    out += ["", "## Causes", ""]
    for cause in data["causes"]:
        explains = ", ".join(f"`{k}` ({v})" for k, v in cause["explains"].items()) or "none (static only)"
        out += [
            f"### `{cause['id']}`: {cause['title']}",
            "",
            cause["explanation"],
            "",
            f"- Symptoms it explains (weight): {explains}",
            f"- Needs: {', '.join(cause['needs']) or 'a log or a model'}",
            f"- Fixes: {', '.join(f'`{f}`' for f in cause['fixes']) or 'see the finding'}",
            f"- Silent when: {cause['when_not']}",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def render_explain(rule_id: str, lang: str = "en") -> str | None:
    data = catalog(lang)
    for symptom in data["symptoms"]:
        if symptom["id"] == rule_id:
            return f"{symptom['id']} (symptom): {symptom['title']}\n\n{symptom['description']}\n"
    for cause in data["causes"]:
        if cause["id"] == rule_id:
            explains = ", ".join(cause["explains"]) or "-"
            return (f"{cause['id']} (cause): {cause['title']}\n\n{cause['explanation']}\n\n"
                    f"Symptoms it explains: {explains}\nSilent when: {cause['when_not']}\n"
                    f"Fixes: {', '.join(cause['fixes']) or '-'}\n")
    return None
