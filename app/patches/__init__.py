"""Patches: small declarative edits of model, compile and training configs (pure Python)."""

from app.patches.apply import Patch, PatchPlan, Refused, config_diff, patches_from_finding, plan
from app.patches.catalog import CATALOG, Change, NotApplicable, PatchUnit
from app.patches.code import code_change
from app.patches.document import ModelDocument, load_document
from app.patches.training_out import write_training_settings

__all__ = ["CATALOG", "Change", "ModelDocument", "NotApplicable", "Patch", "PatchPlan", "PatchUnit", "Refused",
           "code_change", "config_diff", "load_document", "patches_from_finding", "plan", "write_training_settings"]
