"""Combining patches into a plan: what changes, what is refused and why.

:func:`plan` takes a :class:`~app.patches.document.ModelDocument`, a list of
:class:`Patch` (usually from :func:`patches_from_finding`) and the current training settings,
and returns a :class:`PatchPlan`: the patched document (a deep copy: the input is never
touched), the patched training settings, every :class:`~app.patches.catalog.Change`, and the
patches it refused with a reason: unknown ids, manual-only patches, patches that do not fit
the model ("not applicable"), patches that change nothing, and patches that conflict with
one given earlier (explicitly declared conflicts, or two patches setting the same config
value differently, or one editing a layer another one replaces).

Patches are checked for conflicts in the order given (the first one wins) and applied in
catalog order (structural model edits, then layer settings, then compile, then training), so
that e.g. the optimizer switch comes before the optimizer's settings.
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from app.core.diagnosis import Finding
from app.core.i18n import T, Text
from app.patches import catalog
from app.patches.allowlist import Refusal, check_config
from app.patches.catalog import Change, NotApplicable
from app.patches.document import ModelDocument


@dataclass(frozen=True)
class Patch:
    """One patch to apply: a catalog id, its parameters and the cause it answers."""

    id: str
    params: dict[str, Any] = field(default_factory=dict)
    cause: str | None = None

    def key(self) -> str:
        return json.dumps([self.id, self.params], sort_keys=True, default=str)


@dataclass(frozen=True)
class Refused:
    """A patch left out of the plan, and why."""

    patch: str
    reason: Text
    params: dict[str, Any] = field(default_factory=dict)
    cause: str | None = None
    kind: str = "not_applicable"  # "unknown" | "manual" | "not_applicable" | "no_change" | "conflict" | "unsafe"

    def describe(self, lang: str = "en") -> str:
        return self.reason.render(lang, self.params)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"patch": self.patch, "cause": self.cause, "kind": self.kind, "reason": self.describe(lang)}


@dataclass
class PatchPlan:
    document: ModelDocument  # the patched copy
    training: dict[str, Any]  # fit arguments and "callbacks"
    changes: list[Change] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    applied: list[Patch] = field(default_factory=list)
    unsafe: list[Refusal] = field(default_factory=list)  # allowlist findings on the patched config
    notes: list[str] = field(default_factory=list)
    by_patch: list[tuple[Patch, list[Change]]] = field(default_factory=list)  # changes of each applied patch

    def changes_for(self, target: str) -> list[Change]:
        return [change for change in self.changes if change.target == target]

    @property
    def model_changed(self) -> bool:
        return bool(self.changes_for("model") or self.changes_for("compile"))

    def summary(self, lang: str = "en") -> str:
        """A short text: the applied patches with their changes, then the refused ones."""
        zh = lang.startswith("zh")
        lines: list[str] = []
        if self.applied:
            lines.append("应用的补丁：" if zh else "Patches applied:")
            for patch, changes in self.by_patch:
                unit = catalog.CATALOG[patch.id]
                title = unit.title.render(lang, unit.with_defaults(patch.params))
                cause = f"  [{patch.cause}]" if patch.cause else ""
                lines.append(f"  • {title}{cause}")
                for change in changes:
                    lines.append(f"      - {change.describe(lang)}")
        else:
            lines.append("没有应用任何补丁。" if zh else "No patch applied.")
        if self.refused:
            lines.append("未应用：" if zh else "Not applied:")
            for item in self.refused:
                lines.append(f"  • {item.patch}: {item.describe(lang)}")
        if self.unsafe:
            lines.append("补丁后的配置不能安全重建：" if zh else "The patched config cannot be rebuilt safely:")
            lines.extend(f"  • {refusal}" for refusal in self.unsafe[:10])
        return "\n".join(lines)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "source": self.document.source_path,
            "applied": [{"patch": p.id, "params": p.params, "cause": p.cause} for p in self.applied],
            "changes": [change.to_dict(lang) for change in self.changes],
            "refused": [item.to_dict(lang) for item in self.refused],
            "training": copy.deepcopy(self.training),
            "unsafe": [str(refusal) for refusal in self.unsafe],
            "notes": list(self.notes),
        }


# Fix parameters that only describe (for titles), never patch parameters.
_DESCRIPTIVE = {"old", "params", "params_after"}


def patches_from_finding(finding: Finding) -> list[Patch]:
    """One :class:`Patch` per fix of ``finding`` (its params become the patch's params)."""
    return [Patch(fix.id, {k: copy.deepcopy(v) for k, v in fix.params.items() if k not in _DESCRIPTIVE},
                  finding.cause) for fix in finding.fixes]


_UNKNOWN = T("no patch with this id", "没有这个编号的补丁")
_NO_CHANGE = T("changes nothing: the model or settings already have it", "没有任何改变：模型或设置已经如此")
_CONFLICT = T("conflicts with {other}, given earlier", "与先给出的 {other} 冲突")
_SAME_VALUE = T("conflicts with {other}: both change {path}", "与 {other} 冲突：两者都修改 {path}")
_REPLACED = T("conflicts with {other}: it replaces {path}", "与 {other} 冲突：它替换了 {path}")


def _trial(unit: catalog.PatchUnit, document: ModelDocument, training: dict, params: dict) -> list[Change]:
    config = copy.deepcopy(document.config)
    return unit.apply(config, copy.deepcopy(training), params)  # type: ignore[misc]


def _path_conflict(mine: list[Change], theirs: list[Change]) -> tuple[Text, str] | None:
    for a in mine:
        for b in theirs:
            if a.path == b.path and a.after != b.after:
                return _SAME_VALUE, a.path
            if (b.kind in ("replace", "remove") and a.path.startswith(b.path + ".")) or \
                    (a.kind in ("replace", "remove") and b.path.startswith(a.path + ".")):
                return _REPLACED, (b.path if b.kind in ("replace", "remove") else a.path)
    return None


def plan(document: ModelDocument, patches: list[Patch], training: dict[str, Any] | None = None) -> PatchPlan:
    """Apply ``patches`` to a copy of ``document`` and ``training``; refuse what cannot be applied."""
    base_training = copy.deepcopy(training) if training else {}
    result = PatchPlan(document.copy(), copy.deepcopy(base_training))
    result.notes.extend(document.notes)
    seen: set[str] = set()
    accepted: list[tuple[Patch, catalog.PatchUnit, dict, list[Change]]] = []
    for patch in patches:
        if patch.key() in seen:
            result.notes.append(f"{patch.id}: given twice, applied once")
            continue
        seen.add(patch.key())
        unit = catalog.unit(patch.id)
        if unit is None:
            result.refused.append(Refused(patch.id, _UNKNOWN, {}, patch.cause, "unknown"))
            continue
        if unit.manual is not None or unit.apply is None:
            result.refused.append(Refused(patch.id, unit.manual or _UNKNOWN, {}, patch.cause, "manual"))
            continue
        params = unit.with_defaults(patch.params)
        try:
            trial = _trial(unit, document, base_training, params)
        except NotApplicable as error:
            result.refused.append(Refused(patch.id, error.reason, error.params, patch.cause, "not_applicable"))
            continue
        except (KeyError, ValueError, TypeError, IndexError, StopIteration) as error:
            result.refused.append(Refused(patch.id, T("cannot be applied to this config ({error})",
                                                      "无法应用到此配置（{error}）"),
                                          {"error": f"{type(error).__name__}: {error}"}, patch.cause, "not_applicable"))
            continue
        if not trial:
            result.refused.append(Refused(patch.id, _NO_CHANGE, {}, patch.cause, "no_change"))
            continue
        conflict = None
        for other, other_unit, other_params, other_trial in accepted:
            if unit.conflicts(params, other.id, other_params) or other_unit.conflicts(other_params, patch.id, params):
                conflict = (_CONFLICT, {"other": other.id})
                break
            overlap = _path_conflict(trial, other_trial)
            if overlap is not None:
                conflict = (overlap[0], {"other": other.id, "path": overlap[1]})
                break
        if conflict is not None:
            result.refused.append(Refused(patch.id, conflict[0], conflict[1], patch.cause, "conflict"))
            continue
        accepted.append((patch, unit, params, trial))

    accepted.sort(key=lambda item: catalog.ORDER[item[0].id])
    config = result.document.config
    for patch, unit, params, _ in accepted:
        snapshot = (copy.deepcopy(config), copy.deepcopy(result.training))
        try:
            changes = unit.apply(config, result.training, params)  # type: ignore[misc]
        except NotApplicable as error:  # an earlier patch made it moot (e.g. SGD momentum after a switch to Adam)
            config.clear()
            config.update(snapshot[0])
            result.training = snapshot[1]
            result.refused.append(Refused(patch.id, error.reason, error.params, patch.cause, "not_applicable"))
            continue
        if not changes:
            result.refused.append(Refused(patch.id, _NO_CHANGE, {}, patch.cause, "no_change"))
            continue
        result.changes.extend(changes)
        result.applied.append(patch)
        result.by_patch.append((patch, changes))
    result.unsafe = check_config(config)
    if result.model_changed:
        result.document.notes = list(document.notes) + [
            f"patched by TrainDoc: {', '.join(p.id for p in result.applied if catalog.CATALOG[p.id].target != 'training')}"]
    return result


def pretty(config: Any) -> str:
    """The config as indented JSON, keys in their saved order (what the diff compares)."""
    return json.dumps(config, indent=2, ensure_ascii=False, allow_nan=True)


def config_diff(before: ModelDocument, after: ModelDocument, context: int = 3) -> str:
    """A unified diff of the two documents' pretty-printed configs, for the preview."""
    old = pretty(before.config).splitlines(keepends=True)
    new = pretty(after.config).splitlines(keepends=True)
    name = before.source_path or "model"
    return "".join(difflib.unified_diff(old, new, fromfile=f"{name} (config)", tofile=f"{name} (patched)",
                                        n=context))
