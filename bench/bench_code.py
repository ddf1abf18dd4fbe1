"""How long reading training code and editing it take (the Code tab, ``diagnose --code``,
``patch --code``).

Inputs: the generating code of every committed fixture scenario (tools/make_fixtures.py,
the real scripts the fixtures came from, 42 of them) and one large generated script (a
functional model of 600 layers built by a helper in a loop, 3,000 lines with its compile/fit).

Baseline in the same run: ``ast.parse`` of the same text (the reader parses once, then
walks the tree abstractly), so the figure reads as "reading costs N parses".

    .venv/bin/python bench/bench_code.py
"""

from __future__ import annotations

import ast
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.io.code import read_code  # noqa: E402
from timing import best_of  # noqa: E402 (bench/timing.py, beside this script)
from app.patches import Patch, plan  # noqa: E402
from app.patches.script import document_from_code, patch_script, training_from_code  # noqa: E402


def large_script(blocks: int = 200) -> str:
    lines = ["from tensorflow import keras", "from tensorflow.keras import layers", "",
             "def block(x, units, rate):",
             "    x = layers.Dense(units, activation='relu', kernel_initializer='he_normal')(x)",
             "    x = layers.BatchNormalization()(x)",
             "    x = layers.Dropout(rate)(x)",
             "    return x", "", "inputs = keras.Input(shape=(128,))", "x = inputs"]
    for index in range(blocks):
        lines.append(f"x = block(x, {64 + index % 4 * 32}, {0.1 + index % 3 * 0.1:.1f})  # block {index}")
        lines.append(f"# {'-' * 60}")
        for _ in range(12):
            lines.append("learning_rate = 1e-3  # (filler: settings people keep next to their model)")
    lines += ["outputs = layers.Dense(10, activation='relu')(x)", "model = keras.Model(inputs, outputs)",
              "model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),",
              "              loss='categorical_crossentropy', metrics=['accuracy'])",
              "model.fit(x_train, y_train, epochs=30, batch_size=64, shuffle=False)"]
    return "\n".join(lines) + "\n"


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests" / "unit"))
    from test_code_reader import SCENARIOS, scenario_code  # the fixture scripts, extracted as text

    scripts = [scenario_code(name) for name in SCENARIOS]
    total_lines = sum(text.count("\n") for text in scripts)
    parse = best_of(lambda: [ast.parse(text) for text in scripts])
    read = best_of(lambda: [read_code(text, "train.py") for text in scripts])
    print(f"fixture scripts: {len(scripts)} files, {total_lines} lines")
    print(f"  ast.parse (baseline): {parse * 1000:.1f} ms")
    print(f"  read_code:            {read * 1000:.1f} ms = {read / parse:.1f}x the parse, "
          f"{read / len(scripts) * 1000:.1f} ms per script")

    text = large_script()
    parse = best_of(lambda: ast.parse(text))
    started = time.perf_counter()
    code = read_code(text, "large.py")
    once = time.perf_counter() - started
    read = min(once, best_of(lambda: read_code(text, "large.py"), repeat=3))
    layers = len(code.model.layers) if code.model else 0
    print(f"large script: {text.count(chr(10))} lines, {layers} layers")
    print(f"  ast.parse (baseline): {parse * 1000:.1f} ms")
    print(f"  read_code:            {read * 1000:.1f} ms = {read / parse:.1f}x the parse")

    document = document_from_code(code)
    result = plan(document, [Patch("set_output_activation"), Patch("set_learning_rate", {"factor": 0.1}),
                             Patch("set_shuffle"), Patch("add_early_stopping")], training_from_code(code))
    edit = best_of(lambda: patch_script(code, result))
    script = patch_script(code, result)
    print(f"  patch_script (4 fixes, {len(script.placed)} changes placed): {edit * 1000:.1f} ms "
          f"= {edit / parse:.1f}x the parse; diff {len(script.diff().splitlines())} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
