"""A ``model.summary()`` table, read back into a partial :class:`ModelSpec`.

Users paste the summary next to their training log far more often than they attach the
model file. The table gives layer names, classes, output shapes, parameters per layer and
the totals; it does not give activations, initializers, loss or optimizer, so the model
built here has ``format="summary"`` and ``complete=False``.

Spellings handled:

- Keras 3 box drawing (``┏━┳━┓`` / ``┃ Layer (type) ┃`` / ``│ cell │`` / ``├─┼─┤`` / ``└``),
  with cells wrapped over several lines (``batch_normalization`` + ``(BatchNormalization)``),
  names cut with ``…``, ``summary(expand_nested=True)`` rows (``└ dense (Dense)``), a
  ``Connected to`` and a ``Trainable`` column, ANSI colour codes.
- Keras 1/2 and tf.keras ASCII tables (``____`` / ``====``), columns at fixed positions
  taken from the header line: tf.keras 2.13+ wraps long cells onto the next lines, older
  versions cut them (``(BatchNo``: completed from the known Keras class names), nested
  rows of ``expand_nested=True`` framed by ``|``.
- Tables pasted from a web page whose spaces were lost or translated
  (``block1_conv1(Conv2D)(无,200、200、64)1792``, ``总参数:14,751,554``): each row is then
  read on its own with a regular expression.

Nothing here raises on odd input: rows that cannot be read are skipped and counted in the
model's warnings; :func:`parse_summary` returns ``None`` when no row could be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.core.model import LayerSpec, ModelSpec

MAX_TABLE_LINES = 20_000  # a summary longer than this is cut (ResNet-152 has ~1,000 rows)
MAX_LINE_CHARS = 2_000  # table lines are never longer; longer ones are cut before parsing

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_MODEL_NAME = re.compile(r"""^\s*(?:Model|模型)\s*[:：]\s*["'“”]?([^"'“”]*?)["'“”]?\s*$""")
_HEADER_WORDS = ("Layer (type)", "(类型)", "（类型）", "(유형)")
_SEPARATOR = re.compile(r"^[\s_=¯|\-─━]*$")
_NUMBER = re.compile(r"\d[\d,]*")
_INBOUND = re.compile(r"([^\s,'\"\[\]]+)(?:\[\d+\]\[\d+\])?")
_ROW = re.compile(
    r"""^\s*(?P<name>[^\s()]+?)\s*\((?P<cls>[A-Za-z_][\w.]*)\)?\s*
        (?P<shape>\((?:[^()]|\([^()]*\))*\)?|\[.*?\]|multiple|\?)\s*
        (?P<params>\d[\d,]*)\s*(?P<conn>.*)$""",
    re.X,
)
_TOTALS = {
    "total": re.compile(r"(?:Total params|总参数|總參數|총 매개변수)\s*[:：]\s*(\d[\d,]*)"),
    "trainable": re.compile(r"(?<![Nn]on-)(?<!不)(?:Trainable params|可训练的?参数)\s*[:：]\s*(\d[\d,]*)"),
    "non_trainable": re.compile(r"(?:Non-trainable params|不可训练的?参数)\s*[:：]\s*(\d[\d,]*)"),
}
# Translations seen in machine-translated pages (seed 004): 无 = None, 、 = comma.
_NORMALIZE = str.maketrans({"无": " None ", "無": " None ", "、": ",", "，": ",", "（": "(", "）": ")",
                            "：": ":"})

# Keras layer classes, to complete the names older Keras cut at the column edge ("BatchNo").
KNOWN_CLASSES = (
    "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
    "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
    "Normalization", "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "Flatten", "Reshape",
    "Permute", "RepeatVector", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
    "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "LSTM", "GRU", "SimpleRNN", "ConvLSTM2D", "Bidirectional", "TimeDistributed", "Embedding",
    "InputLayer", "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    "Dot", "Lambda", "LeakyReLU", "ReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU",
    "Functional", "Sequential", "Model", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "Cropping1D", "Cropping2D", "Cropping3D",
    "Masking", "Attention", "AdditiveAttention", "MultiHeadAttention", "Rescaling", "Resizing",
    "CenterCrop", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
    "RandomContrast", "TextVectorization", "StringLookup", "IntegerLookup", "CategoryEncoding",
    "Hashing", "Discretization", "ActivityRegularization", "TFOpLambda", "SlicingOpLambda",
)
MODEL_CLASSES = {"Functional", "Sequential", "Model"}


@dataclass
class _Row:
    """One table row while its (possibly wrapped) cells are being collected."""

    cells: dict[str, list[str]] = field(default_factory=dict)
    depth: int = 0
    indent: int = -1  # column of the ``└`` marker in Keras 3 nested rows
    line: int = 0
    joiner: str = " "

    def add(self, column: str, text: str) -> None:
        text = text.strip()
        if text:
            self.cells.setdefault(column, []).append(text)

    def text(self, column: str) -> str:
        return self.joiner.join(self.cells.get(column, []))


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text) if "\x1b" in text else text


def is_header(line: str) -> bool:
    """Whether ``line`` is the header row of a summary table (``Layer (type)``)."""
    return any(word in line for word in _HEADER_WORDS)


def _int(text: str) -> int | None:
    match = _NUMBER.search(text)
    return int(match.group(0).replace(",", "")) if match else None


def _dimension(text: str) -> int | None | str:
    text = text.strip()
    if not text or text in {"None", "?"}:
        return None
    try:
        return int(text.replace(",", ""))
    except ValueError:
        return None


def parse_shape(text: str) -> tuple | None:
    """``(None, 4096, 16)`` → ``(None, 4096, 16)``; ``[(None, 8)]`` → ``(None, 8)``;
    several tensors → a tuple of tuples; ``multiple`` or nothing → ``None``."""
    text = text.translate(_NORMALIZE).strip()
    groups = re.findall(r"\(([^()]*)\)?", text)
    shapes = []
    for group in groups:
        parts = [part for part in group.split(",")]
        if parts and not parts[-1].strip():
            parts = parts[:-1]  # "(None,)" style trailing comma
        shapes.append(tuple(_dimension(part) for part in parts))
    if not shapes:
        return None
    return shapes[0] if len(shapes) == 1 else tuple(shapes)


def complete_class(name: str) -> tuple[str, bool]:
    """A class name cut at a column edge, completed when exactly one Keras class fits."""
    if name in KNOWN_CLASSES:
        return name, False
    fits = [known for known in KNOWN_CLASSES if known.startswith(name)]
    if len(fits) == 1 and len(name) >= 3:
        return fits[0], True
    return name, False


def _split_name(cell: str) -> tuple[str, str, bool]:
    """``dense_1 (Dense)`` → (``dense_1``, ``Dense``, class cut?)."""
    cell = cell.strip()
    match = re.match(r"^(?P<name>.*?)\s*\((?P<cls>[^()]*)\)?\s*$", cell)
    if not match or not match.group("name"):
        return cell, "", False
    name, cls = match.group("name").strip(), match.group("cls").strip()
    cut = not cell.endswith(")")
    return name, cls, cut


def _inbound(text: str) -> list[str]:
    names = []
    for match in _INBOUND.finditer(text):
        name = match.group(1)
        if name in {"-", "[]"} or name.isdigit():
            continue
        names.append(name)
    return names


def _model_name(lines: list[str], header_index: int) -> str | None:
    for line in reversed(lines[max(0, header_index - 4):header_index]):
        match = _MODEL_NAME.match(line)
        if match:
            return match.group(1) or None
    return None


def _box_rows(lines: list[str], start: int, first_line: int) -> tuple[list[_Row], int]:
    """Rows of a Keras 3 box table whose header row is ``lines[start]``."""
    header = [cell.strip() for cell in lines[start].strip().strip("┃│").split("┃")]
    columns = []
    for cell in header:
        if cell.startswith("Layer"):
            columns.append("name")
        elif cell.startswith("Output"):
            columns.append("shape")
        elif cell.startswith("Param"):
            columns.append("params")
        elif cell.startswith("Conn"):
            columns.append("conn")
        elif cell.startswith("Trai"):  # "Trai…" when the column is narrow
            columns.append("trainable")
        else:
            columns.append(cell.lower() or "other")
    rows: list[_Row] = []
    row: _Row | None = None
    index = start + 1
    while index < len(lines):
        raw = lines[index]
        line = raw.strip()
        index += 1
        if not line:
            continue
        if line[0] in "┡├┏┗╞":
            row = None
            continue
        if line[0] == "└":
            break
        if line[0] not in "│┃":
            break
        cells = line.strip("│┃").split("│")
        if row is None:
            row = _Row(line=first_line + index - 1)
            rows.append(row)
            name_cell = cells[0] if cells else ""
            marker = name_cell.find("└")
            if marker >= 0:
                row.indent = marker
                name_cell = name_cell[marker + 1:]
                cells = [name_cell] + cells[1:]
        for column, cell in zip(columns, cells):
            row.add(column, cell)
    return rows, index


def _ascii_columns(header: str) -> dict[str, int]:
    columns = {"name": 0}
    for key, word in (("shape", "Output Shape"), ("params", "Param #"), ("conn", "Connected to"),
                      ("trainable", "Trainable")):
        position = header.find(word)
        if position > 0:
            columns[key] = position
    return columns


def _aligned_cells(line: str, columns: dict[str, int]) -> dict[str, str] | None:
    """Cut ``line`` at the header's column positions, or ``None`` if it does not fit them."""
    if "shape" not in columns or "params" not in columns:
        return None
    order = sorted(columns.items(), key=lambda item: item[1])
    for _key, position in order[1:]:
        if len(line) > position and position > 0 and line[position - 1] not in " |":
            return None
    cells = {}
    for i, (key, position) in enumerate(order):
        end = order[i + 1][1] if i + 1 < len(order) else len(line)
        cells[key] = line[position:end]
    params = cells.get("params", "").strip()
    shape = cells.get("shape", "").strip()
    if params and not re.fullmatch(r"\d[\d,]*", params):
        return None
    shape_like = shape[:1] in ("(", "[") or shape.startswith(("multiple", "?", "None"))
    if shape and params and not shape_like:
        return None
    return cells


def _ascii_rows(lines: list[str], start: int, first_line: int) -> tuple[list[_Row], int, int]:
    """Rows of an ASCII table; returns (rows, index after the table, rows read by regex)."""
    columns = _ascii_columns(lines[start])
    rows: list[_Row] = []
    row: _Row | None = None
    by_regex = 0
    index = start + 1
    while index < len(lines):
        raw = lines[index].rstrip()
        index += 1
        if any(pattern.search(raw) for pattern in _TOTALS.values()):
            index -= 1
            break
        if _SEPARATOR.match(raw):
            row = None  # "____", "====", "|¯¯¯|" or (tf.keras) a blank line after each row
            continue
        depth = 0
        if raw.startswith("|"):
            depth = len(raw) - len(raw.lstrip("|"))
            raw = " " * depth + raw[depth:].rstrip("|")
        cells = _aligned_cells(raw, columns)
        if cells is not None and (cells.get("params", "").strip() or row is not None):
            if cells.get("params", "").strip():
                row = _Row(line=first_line + index - 1, depth=depth, joiner="")
                rows.append(row)
            for key, text in cells.items():
                row.add(key, text)
            continue
        match = _ROW.match(raw.translate(_NORMALIZE))
        if match:
            by_regex += 1
            row = _Row(line=first_line + index - 1, depth=depth)
            row.add("name", f"{match.group('name')} ({match.group('cls') or ''})"
                    if match.group("cls") else match.group("name"))
            row.add("shape", match.group("shape"))
            row.add("params", match.group("params"))
            row.add("conn", match.group("conn"))
            rows.append(row)
            row = None
        elif rows:
            index -= 1
            break  # the first line after the table that is no part of it
    return rows, index, by_regex


def _totals(lines: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for line in lines:
        if "params" not in line and "参数" not in line and "參數" not in line and "매개변수" not in line:
            continue
        for key, pattern in _TOTALS.items():
            match = pattern.search(line)
            if match and key not in found:
                found[key] = int(match.group(1).replace(",", ""))
    return found


def parse_summary(lines: list[str], *, source_path: str = "", first_line: int = 1,
                  name: str | None = None) -> ModelSpec | None:
    """Read the first summary table in ``lines`` (text lines, ANSI codes allowed).

    ``first_line`` is the 1-based line number of ``lines[0]`` in the source, used in notes.
    Returns ``None`` when there is no header row or no row could be read.
    """
    lines = [strip_ansi(line[:MAX_LINE_CHARS]).replace("\r", "").replace("\b", "")
             for line in lines[:MAX_TABLE_LINES]]
    header_index = next((i for i, line in enumerate(lines) if is_header(line)), None)
    if header_index is None:
        return None
    header = lines[header_index]
    boxed = "┃" in header or header.lstrip().startswith("│")
    warnings: list[str] = []
    if boxed:
        rows, end = _box_rows(lines, header_index, first_line)
        by_regex = 0
    else:
        rows, end, by_regex = _ascii_rows(lines, header_index, first_line)
    if not rows:
        return None
    layers, skipped = _layers(rows, warnings)
    if not layers:
        return None
    totals = _totals(lines[end:end + 12])
    model_name = name or _model_name(lines, header_index) or "summary"
    connected = any(row.cells.get("conn") for row in rows) or "Connected to" in header
    class_name = "Functional" if connected else "Sequential"
    if not connected and model_name.startswith("model"):
        class_name = "Functional"
    params_total = totals.get("total")
    params_trainable = totals.get("trainable")
    if params_trainable is None and params_total is not None and "non_trainable" in totals:
        params_trainable = params_total - totals["non_trainable"]
    if params_total is None:
        known = [layer.params_total for layer in layers if layer.params_total is not None]
        params_total = sum(known) if known else None
        warnings.append("the table has no 'Total params' line: the total is the sum of the rows")
    warnings.insert(0, f"read from a model.summary() table at line {first_line + header_index}: "
                       "activations, initializers, loss and optimizer are not shown there")
    if by_regex:
        warnings.append(f"{by_regex} row(s) did not line up with the header columns "
                        "(pasted text?) and were read by pattern")
    if skipped:
        warnings.append(f"{skipped} table row(s) could not be read and were skipped")
    output_names: list[str] = []
    if connected:
        consumed = {name for layer in layers for name in layer.inbound}
        output_names = [layer.name for layer in layers if layer.name not in consumed
                        and layer.class_name != "InputLayer"]
    input_shapes = [layer.output_shape for layer in layers
                    if layer.class_name == "InputLayer" and layer.output_shape is not None]
    return ModelSpec(
        name=model_name,
        class_name=class_name,
        format="summary",
        source_path=source_path,
        layers=layers,
        input_shapes=input_shapes,
        output_names=output_names,
        params_total=params_total,
        params_trainable=params_trainable,
        complete=False,
        warnings=warnings,
    )


def _layers(rows: list[_Row], warnings: list[str]) -> tuple[list[LayerSpec], int]:
    """LayerSpecs from rows; nested rows (``└`` or ``|``) become sublayers of the row above."""
    top: list[LayerSpec] = []
    stack: list[tuple[int, LayerSpec]] = []  # (nesting key, layer)
    skipped = 0
    cut_names = 0
    for row in rows:
        name, cls, cls_cut = _split_name(row.text("name"))
        if not name:
            skipped += 1
            continue
        notes = []
        if cls_cut or (cls and cls not in KNOWN_CLASSES):
            completed, changed = complete_class(cls)
            if changed:
                notes.append(f"class name cut in the table ({cls!r}); read as {completed}")
                cls = completed
        if name.endswith("…"):
            cut_names += 1
            notes.append("name cut in the table (ends with '…')")
        params = _int(row.text("params"))
        layer = LayerSpec(
            name=name,
            class_name=cls or "Unknown",
            params_total=params,
            output_shape=parse_shape(row.text("shape")),
            inbound=_inbound(row.text("conn")),
            notes=notes,
        )
        trainable = row.text("trainable").strip().upper()
        if trainable in {"N", "NO", "FALSE"}:
            layer.trainable = False
            layer.params_trainable = 0
        elif trainable in {"Y", "YES", "TRUE"} and params is not None:
            layer.params_trainable = params
        key = row.indent if row.indent >= 0 else (row.depth - 1 if row.depth else -1)
        if key < 0:
            layer.path = name
            top.append(layer)
            stack = [(-1, layer)]
            continue
        while stack and stack[-1][0] >= key:
            stack.pop()
        if not stack:
            layer.path = name
            top.append(layer)
            stack = [(-1, layer)]
            continue
        parent = stack[-1][1]
        layer.path = f"{parent.path}/{name}"
        if not parent.trainable:
            layer.trainable = False
        parent.sublayers.append(layer)
        stack.append((key, layer))
    names = [layer.name for layer in top]
    for layer in top:
        layer.inbound = [_resolve(name, names) for name in layer.inbound]
    if cut_names:
        warnings.append(f"{cut_names} layer name(s) were cut by the table ('…')")
    return top, skipped


def _resolve(name: str, names: list[str]) -> str:
    """An inbound name cut with ``…`` matched to the one layer name it starts."""
    if not name.endswith("…"):
        return name
    stem = name[:-1]
    fits = [n for n in names if n.rstrip("…").startswith(stem) or stem.startswith(n.rstrip("…"))]
    return fits[0] if len(fits) == 1 else name


def find_summary(text: str, *, source_path: str = "") -> ModelSpec | None:
    """The first summary table anywhere in ``text``."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if is_header(line):
            start = max(0, index - 4)
            return parse_summary(lines[start:index + MAX_TABLE_LINES], source_path=source_path,
                                 first_line=start + 1)
    return None
