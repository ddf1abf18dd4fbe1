"""Which patches a request means: a cause id picks its finding's first automatic fix, a
patch id is taken as is; ``--auto`` takes the first automatic fix of every reported finding.

Shared by the command line (``traindoc patch``) and the window's fix buttons, so both
apply the same edits for the same finding.
"""

from __future__ import annotations

import json

from app.core.diagnosis import Diagnosis, Finding
from app.core.ids import CAUSES
from app.patches.apply import Patch, patches_from_finding
from app.patches.catalog import CATALOG


class UnknownFix(ValueError):
    """A ``--fix`` that is neither a cause id found in the diagnosis nor a patch id."""


def automatic(patch: Patch) -> bool:
    unit = CATALOG.get(patch.id)
    return unit is not None and unit.manual is None and unit.apply is not None


def primary_patch(finding: Finding) -> Patch | None:
    """The finding's first fix that can be applied to a file (rules list the best one first)."""
    return next((p for p in patches_from_finding(finding) if automatic(p)), None)


def parse_request(request: str) -> tuple[str, dict]:
    """``set_loss:loss=categorical_crossentropy`` → ("set_loss", {"loss": "categorical_crossentropy"});
    values are JSON when they parse as JSON (``1e-4``, ``true``, ``[1, 2]``), else text."""
    name, _, rest = request.partition(":")
    params: dict = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise UnknownFix(f"{request}: parameters are key=value pairs separated by commas "
                             "(e.g. set_learning_rate:learning_rate=1e-4)")
        try:
            params[key.strip()] = json.loads(value)
        except ValueError:
            params[key.strip()] = value.strip()
    return name.strip(), params


def patches_for(requests: list[str], diagnosis: Diagnosis | None) -> list[Patch]:
    """Patches for ``requests`` (cause ids, or patch ids with optional ``:key=value,...``
    parameters, in order)."""
    findings = {f.cause: f for f in diagnosis.findings} if diagnosis is not None else {}
    out: list[Patch] = []
    for raw in requests:
        request, params = parse_request(raw)
        if request in CATALOG:
            unknown = set(params) - set(CATALOG[request].params)
            if unknown:
                raise UnknownFix(f"{raw}: {request} takes {', '.join(sorted(CATALOG[request].params)) or 'no parameters'}, "
                                 f"not {', '.join(sorted(unknown))}")
            # a bare patch id that a finding of the diagnosis proposes: the finding's parameters
            proposed = None if params else next((patch for finding in findings.values()
                                                 for patch in patches_from_finding(finding) if patch.id == request), None)
            out.append(proposed or Patch(request, params))
        elif params:
            raise UnknownFix(f"{raw}: only patch ids take parameters (traindoc patch --list)")
        elif request in CAUSES:
            finding = findings.get(request)
            if finding is None:
                raise UnknownFix(f"{request}: the diagnosis of these files does not point at this cause, "
                                 "so there is no fix to take from it; give a patch id instead "
                                 "(traindoc patch --list)")
            patch = primary_patch(finding)
            if patch is None:
                raise UnknownFix(f"{request}: its fixes are changes to make by hand (no file can carry "
                                 "them); see traindoc explain " + request)
            out.append(patch)
        else:
            raise UnknownFix(f"{request}: neither a cause id nor a patch id (traindoc patch --list)")
    return out


def automatic_patches(diagnosis: Diagnosis) -> list[Patch]:
    """``--auto``: the first automatic fix of every reported finding, most likely first."""
    out = []
    for finding in diagnosis.reported:
        patch = primary_patch(finding)
        if patch is not None:
            out.append(patch)
    return out
