"""The JSON report: exactly what ``traindoc diagnose --format json`` prints.

The document is :func:`app.cli.diagnose_view.render_json` (described by
``app/schemas/diagnosis.schema.json``), dumped the same way the command line dumps it, so a
report saved from the app and the CLI's output are byte for byte the same.
"""

from __future__ import annotations

import json
from typing import Any

from app.cli.diagnose_view import render_json as diagnosis_json


def report_document(report: Any) -> dict[str, Any]:
    """The JSON document (a dict) of ``report``."""
    probes = {case.probe_path: case.probe for case in report.cases if case.probe}
    document = diagnosis_json(report.diagnosed, report.input_records, report.lang, report.include_all, probes or None,
                              dict(report.data) if report.data else None)
    trials = {case.probe_path: list(case.trials) for case in report.cases if case.trials}
    if trials:
        from app.core.serialize import json_ready

        document["trials"] = json_ready(trials)
    return document


def render_json(report: Any) -> str:
    return json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n"
