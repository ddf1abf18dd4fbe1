"""What ``traindoc diagnose`` prints: a colleague's diagnosis in text, or the JSON."""

from __future__ import annotations

import textwrap
from typing import Any

from app import __version__
from app.core.diagnosis import Finding
from app.core.i18n import T
from app.rules.engine import CaseDiagnosis as DiagnosedCase

L = {
    "header": T("Diagnosis of {what}", "诊断：{what}"),
    "nothing": T("Nothing wrong found: the run trained as expected.", "未发现问题：训练按预期进行。"),
    "undecided": T("Something is wrong, but no cause reaches the reporting threshold.",
                   "存在问题，但没有任何原因达到报告阈值。"),
    "nothing_model": T("Nothing wrong found in the model's settings.", "模型设置中未发现问题。"),
    "curves": T("What the curves show:", "曲线显示："),
    "top": T("Most likely cause ({confidence}):", "最可能的原因（置信度 {confidence}）："),
    "other": T("Other possible causes:", "其他可能的原因："),
    "possible": T("Possible causes (what was given cannot decide them; what would):",
                  "可能的原因（现有输入无法确定；以下输入可以确定）："),
    "weak": T("Weaker candidates (below the reporting threshold {threshold}):",
              "较弱的候选（低于报告阈值 {threshold}）："),
    "why": T("Why:", "原因："),
    "evidence": T("Evidence:", "证据："),
    "fixes": T("Fixes:", "修复："),
    "settle": T("To settle it:", "如何确认："),
    "not_checked": T("Not checked:", "未检查："),
    "model": T("model {name}", "模型 {name}"),
    "code_model": T("model {name} read from {path}", "从 {path} 读取的模型 {name}"),
    "run": T("run {name}", "运行 {name}"),
}
APPLICABILITY = {"safe": T("safe", "安全"), "review": T("review", "需确认"), "manual": T("by hand", "手动")}


def _t(key: str, lang: str, **params: Any) -> str:
    return L[key].render(lang, params)


def _wrap(text: str, indent: str, width: int = 96) -> list[str]:
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent + "  ") or [indent]


def _finding_lines(finding: Finding, lang: str, detailed: bool) -> list[str]:
    out = [f"  {finding.title.render(lang)}  [{finding.cause}]"]
    if finding.run:
        out[0] += f"  ({_t('run', lang, name=finding.run)})"
    if detailed:
        out.append("    " + _t("why", lang))
        out.extend(_wrap(finding.explanation.render(lang), "      "))
    out.append("    " + _t("evidence", lang))
    for item in finding.evidence:
        if item.weight == 0 and not detailed:
            continue
        mark = "+" if item.weight > 0 else ("−" if item.weight < 0 else "·")
        where = ""
        if "layer" in item.where:
            where = f" (layer {item.where['layer']})"
        if item.source is not None and item.source.path:
            where += f" [{item.source.cited()}]"
        out.extend(_wrap(f"{mark} {item.describe(lang)}{where}", "      "))
    if finding.fixes:
        out.append("    " + _t("fixes", lang))
        for fix in finding.fixes:
            label = APPLICABILITY[fix.applicability].render(lang)
            out.extend(_wrap(f"[{label}] {fix.title.render(lang, fix.params)}", "      "))
            if fix.code:
                out.extend("          " + line for line in fix.code.splitlines())
    if finding.settle is not None:
        out.extend(_wrap(f"{_t('settle', lang)} {finding.settle.render(lang)}", "    "))
    return out


def render_text(cases: list[DiagnosedCase], lang: str = "en", include_all: bool = False) -> str:
    blocks: list[str] = []
    for item in cases:
        d = item.diagnosis
        what = [_t("run", lang, name=n) for n in d.runs]
        case = getattr(item, "case", None)
        model = getattr(case, "model", None) or next(
            (r.model for r in getattr(case, "runs", []) if getattr(r.model, "format", None) == "code"), None)
        if d.model and model is not None and model.format == "code":
            what.append(_t("code_model", lang, name=d.model, path=model.source_path))
        elif d.model:
            what.append(_t("model", lang, name=d.model))
        lines = [_t("header", lang, what=", ".join(what) or "-"), ""]
        failures = [s for s in d.symptoms if s.id != "healthy"]
        if d.symptoms:
            lines.append(_t("curves", lang))
            for s in d.symptoms:
                lines.extend(_wrap(f"• {s.id}: {s.describe(lang)}", "  "))
            lines.append("")
        reported = d.reported
        if not reported:
            troubled = any(s.id != "healthy" for s in d.symptoms)
            lines.append(_t("undecided" if troubled else ("nothing" if d.runs else "nothing_model"), lang))
        else:
            lines.append(_t("top", lang, confidence=f"{reported[0].confidence:.2f}"))
            lines.extend(_finding_lines(reported[0], lang, detailed=True))
            if len(reported) > 1:
                lines.append("")
                lines.append(_t("other", lang))
                for rank, finding in enumerate(reported[1:], start=2):
                    lines.append(f"  {rank}. ({finding.confidence:.2f})")
                    lines.extend(_finding_lines(finding, lang, detailed=False))
        possible = d.possible
        if possible and not include_all:
            lines.append("")
            lines.append(_t("possible", lang))
            for finding in possible:
                lines.append(f"  ({finding.confidence:.2f}) {finding.title.render(lang)}  [{finding.cause}]")
                if finding.settle is not None:
                    lines.extend(_wrap(finding.settle.render(lang), "      "))
        weak = [f for f in d.findings if not f.reported]
        if include_all and weak:
            lines.append("")
            lines.append(_t("weak", lang, threshold=d.threshold))
            for finding in weak:
                lines.append(f"  ({finding.confidence:.2f})")
                lines.extend(_finding_lines(finding, lang, detailed=False))
        if d.not_checked and (failures or include_all):
            lines.append("")
            lines.append(_t("not_checked", lang) + " " + ", ".join(
                f"{n.rule} ({n.reason.render(lang)})" for n in d.not_checked))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def render_json(cases: list[DiagnosedCase], inputs: list[dict[str, Any]], lang: str = "en",
                include_all: bool = False, probes: dict | None = None, data: dict | None = None) -> dict[str, Any]:
    """The documented JSON: top-level ``symptoms``/``findings`` over all cases (each item
    names its run), plus the per-case diagnoses."""
    per_case = [item.diagnosis.to_dict(lang, include_all) for item in cases]
    findings = [f for item in cases for f in (item.diagnosis.findings if include_all else item.diagnosis.reported)]
    findings.sort(key=lambda f: -f.confidence)
    return {
        "traindoc": __version__,
        "language": lang,
        "inputs": inputs,
        "healthy": all(d["healthy"] for d in per_case),
        "symptoms": [s for d in per_case for s in d["symptoms"]],
        "findings": [f.to_dict(lang) for f in findings],
        "possible": [f.to_dict(lang) for f in sorted((f for item in cases for f in item.diagnosis.possible),
                                                      key=lambda f: -f.confidence)],
        "diagnoses": per_case,
        **({"probes": probes} if probes else {}),
        **({"data_sample": data} if data else {}),
    }
