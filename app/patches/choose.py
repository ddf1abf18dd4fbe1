"""Which patches a request means: a cause id picks its finding's first automatic fix, a
patch id is taken as is; ``--auto`` takes the first automatic fix of every reported finding.

Shared by the command line (``traindoc patch``) and the window's fix buttons, so both
apply the same edits for the same finding.
"""

from __future__ import annotations

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


def patches_for(requests: list[str], diagnosis: Diagnosis | None) -> list[Patch]:
    """Patches for ``requests`` (cause ids or patch ids, in order)."""
    findings = {f.cause: f for f in diagnosis.findings} if diagnosis is not None else {}
    out: list[Patch] = []
    for request in requests:
        if request in CATALOG:
            out.append(Patch(request))
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
