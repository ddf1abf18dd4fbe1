"""Training code read statically: Keras model, compile and fit settings from Python source.

Most people who ask for help have their training script, not a saved model. This package
reads that script — a ``.py`` file, a notebook (``.ipynb``) or code pasted with prose around
it — with :mod:`ast` only and turns it into the same :class:`~app.core.model.ModelSpec` a model
file gives (format ``"code"``), plus the ``fit()`` settings, so the same rules apply.

**Nothing of the user's code is ever run.** The text is parsed into a syntax tree and walked
by a small abstract interpreter (:mod:`app.io.code.interpreter`) that knows only what it is told:
Python literals and simple arithmetic on them, names bound by assignments, imports recorded as
*names* (``keras.layers.Dense``; no module is imported), helper functions *inlined* with their
arguments bound (bounded depth), ``for`` loops over small known ranges unrolled (bounded), and
Keras calls turned into data: a layer call becomes a layer config, ``Sequential([...])`` /
``model.add`` / functional graphs (``x = Dense(...)(x)``) become a model config,
``compile``/``fit`` keyword arguments become settings. Any other call (``open``, ``np.load``,
``os.system``, a decorator, a default argument, a Lambda's function) gives an *unknown* value:
it is never called. Values that cannot be resolved are listed in ``unresolved`` with their
source line and the reason, never guessed silently; the few assumptions the reader makes
(a bare ``Dense`` without an import means Keras' ``Dense``; an ``if`` whose condition is
unknown is read as taken) are listed too.

The model config built from the code has the shape of a Keras 3 config, so
:func:`app.io.keras_config.model_from_config` and :mod:`app.io.shapes` give layers, output
shapes and parameter counts exactly as for a saved model. Each layer keeps the source line
that created it (``LayerSpec.source``), the fit settings their lines (``FitSettings.sources``).

The parts: :mod:`~app.io.code.source` (notebooks, prose, lost line breaks),
:mod:`~app.io.code.values` (the abstract values), :mod:`~app.io.code.interpreter` (the walk),
:mod:`~app.io.code.model_config` (the Keras config built from it), :mod:`~app.io.code.reader`
(the entry point and the fit settings), :mod:`~app.io.code.keras_names` (what Keras' layers,
optimizers and losses take), :mod:`~app.io.code.limits` (the budgets).
"""

from app.io.code.limits import FORMAT, MAX_CODE_CHARS, TIME_BUDGET_S
from app.io.code.reader import code_share, looks_like_code, model_of, quotes_code, read_code, read_code_file
from app.io.code.spec import CodeSite, CodeSpec
from app.io.code.values import Unresolved

__all__ = ["FORMAT", "MAX_CODE_CHARS", "TIME_BUDGET_S", "CodeSite", "CodeSpec", "Unresolved", "code_share",
           "looks_like_code", "model_of", "quotes_code", "read_code", "read_code_file"]
