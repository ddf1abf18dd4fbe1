"""Budgets of the training-code reader: what it reads at most, and for how long."""

from __future__ import annotations

FORMAT = "code"
MAX_CODE_CHARS = 4_000_000  # a training script is never this long; more is refused
MAX_LINES = 100_000
MAX_LINE_CHARS = 20_000  # longer lines are treated as data, not code
MAX_REPAIRS = 400  # syntax repairs (prose lines blanked ...) tried on pasted text
MAX_STEPS = 400_000  # statements and expressions evaluated in all
MAX_INLINE_DEPTH = 10  # helper functions inlined inside each other
MAX_LOOP = 256  # iterations of one loop that are unrolled
MAX_SEQUENCE = 10_000  # elements of a list/tuple/string built from constants
MAX_INT_BITS = 256  # integers larger than this are not computed
MAX_LAYERS = 20_000
TIME_BUDGET_S = 8.0  # the whole read, repairs included, stops evaluating after this
MAX_UNRESOLVED = 500
