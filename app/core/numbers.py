"""Numbers read from JSON: integers beyond any float are read as ±inf, not as Python ints."""

from __future__ import annotations

import math

# Past 2**63 no int a training log or a model config holds is meaningful (units, steps,
# epochs, values), and Python's float() of a 400-digit integer raises OverflowError deep
# inside a rule: such integers are read as ±inf at the JSON boundary, like 1e400 is.
LARGEST_INT = 2**63


def json_int(text: str) -> int | float:
    """``parse_int`` for ``json.loads``: the int, or ±inf when it is beyond ±2**63."""
    value = int(text)
    if abs(value) > LARGEST_INT:
        return math.inf if value > 0 else -math.inf
    return value
