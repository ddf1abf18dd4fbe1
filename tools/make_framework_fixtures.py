"""Make the fixtures of frameworks other than Keras: real logs of tiny real training runs.

Run it with a separate virtualenv that has the frameworks (the project's own venv stays
free of them)::

    python3 -m venv .venv-torch
    .venv-torch/bin/pip install "torch==2.13.0+cpu" lightning transformers accelerate tensorboard
    .venv-torch/bin/python tools/make_framework_fixtures.py

It writes, under ``tests/fixtures/other/``:

``lightning_mlp/metrics.csv``, ``lightning_mlp/hparams.yaml``
    PyTorch Lightning ``CSVLogger`` of a small MLP classifier: ``train_loss``/``train_acc``
    logged with ``on_step=True, on_epoch=True`` (columns ``*_step`` and ``*_epoch``), a
    validation loop (``val_loss``, ``val_acc``) and ``LearningRateMonitor`` (``lr-SGD``).
``lightning_mlp_tb/``
    The same run's ``TensorBoardLogger`` folder (event file + hparams.yaml): the same values
    as metrics.csv, at global steps, with Lightning's ``epoch`` scalar.
``hf_tiny/trainer_state.json``
    Hugging Face ``Trainer`` state of a tiny BERT classifier built from a config (no
    download), a few dozen steps, evaluation and a checkpoint each epoch; the
    ``trainer_state.json`` of the last checkpoint.
``hf_tiny_tb/``
    The same Trainer run's TensorBoard folder (``report_to="tensorboard"``).
``torch_summarywriter_tb/``
    A plain PyTorch loop logging with ``torch.utils.tensorboard.SummaryWriter``:
    ``Loss/train``, ``Loss/val``, ``Accuracy/val`` per epoch (0-based epoch as step),
    ``Loss/train_batch`` per iteration, a weight histogram; ``expected.json`` holds the
    Python floats that were passed to ``add_scalar``.
``README.md``
    Versions and what each fixture is.

Everything is seeded; data are synthetic (no downloads: no internet here).
"""

from __future__ import annotations

import glob
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "other"


def _synthetic_classification(torch, n: int, features: int = 8, seed: int = 0):
    """Two classes separable by a noisy linear rule, as float32 tensors."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=generator)
    w = torch.linspace(-1.0, 1.0, features)
    noise = 0.5 * torch.randn(n, generator=generator)
    y = ((x @ w + noise) > 0).long()
    return x, y


def make_lightning(workdir: Path) -> dict:
    import lightning as L
    import torch
    import torch.nn.functional as F
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
    from torch.utils.data import DataLoader, TensorDataset

    L.seed_everything(0, workers=True)

    class MLP(L.LightningModule):
        def __init__(self, hidden: int = 16, lr: float = 0.1):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(8, hidden), torch.nn.ReLU(),
                                           torch.nn.Linear(hidden, 2))

        def _step(self, batch):
            x, y = batch
            logits = self.net(x)
            loss = F.cross_entropy(logits, y)
            acc = (logits.argmax(dim=1) == y).float().mean()
            return loss, acc

        def training_step(self, batch, batch_idx):
            loss, acc = self._step(batch)
            self.log("train_loss", loss, on_step=True, on_epoch=True, prog_bar=True)
            self.log("train_acc", acc, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch, batch_idx):
            loss, acc = self._step(batch)
            self.log("val_loss", loss, on_epoch=True, prog_bar=True)
            self.log("val_acc", acc, on_epoch=True)

        def configure_optimizers(self):
            optimizer = torch.optim.SGD(self.parameters(), lr=self.hparams.lr)
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
            return {"optimizer": optimizer, "lr_scheduler": scheduler}

    x, y = _synthetic_classification(torch, 640)
    train = DataLoader(TensorDataset(x[:512], y[:512]), batch_size=32, shuffle=True)
    val = DataLoader(TensorDataset(x[512:], y[512:]), batch_size=64)
    csv_logger = CSVLogger(save_dir=str(workdir), name="lightning_mlp", version=0)
    tb_logger = TensorBoardLogger(save_dir=str(workdir), name="lightning_mlp_tb", version=0)
    trainer = L.Trainer(
        max_epochs=6, accelerator="cpu", devices=1, logger=[csv_logger, tb_logger],
        log_every_n_steps=5, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, deterministic=True,
        callbacks=[LearningRateMonitor(logging_interval="epoch")],
    )
    trainer.fit(MLP(), train, val)

    target = OUT / "lightning_mlp"
    _fresh(target)
    shutil.copy(Path(csv_logger.log_dir) / "metrics.csv", target / "metrics.csv")
    shutil.copy(Path(csv_logger.log_dir) / "hparams.yaml", target / "hparams.yaml")
    target_tb = OUT / "lightning_mlp_tb"
    _fresh(target_tb)
    for path in Path(tb_logger.log_dir).iterdir():
        shutil.copy(path, target_tb / path.name)
    return {"epochs": 6, "steps_per_epoch": len(train), "train_samples": 512, "val_samples": 128,
            "batch_size": 32, "log_every_n_steps": 5}


def make_hf(workdir: Path) -> dict:
    import torch
    from transformers import (BertConfig, BertForSequenceClassification, Trainer,
                              TrainingArguments, set_seed)

    set_seed(0)
    # transformers 5 takes the TensorBoard folder from the environment, not from arguments.
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(workdir / "hf_tiny_tb")
    vocab, length = 64, 12

    class Tokens(torch.utils.data.Dataset):
        """Random token sequences; the two classes draw from overlapping halves of the vocab."""

        def __init__(self, n: int, seed: int):
            generator = torch.Generator().manual_seed(seed)
            self.labels = (torch.rand(n, generator=generator) < 0.5).long()
            half = (vocab - 8) // 2
            self.ids = (8 + torch.randint(0, half + 8, (n, length), generator=generator)
                        + self.labels[:, None] * (half - 8))
            self.ids[:, 0] = 2  # [CLS]-like start token

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, i):
            return {"input_ids": self.ids[i], "attention_mask": torch.ones(length, dtype=torch.long),
                    "labels": self.labels[i]}

    config = BertConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=32,
                        num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = BertForSequenceClassification(config)
    out_dir = workdir / "hf_tiny"
    args = TrainingArguments(
        output_dir=str(out_dir), num_train_epochs=4, per_device_train_batch_size=16,
        per_device_eval_batch_size=32, learning_rate=1e-3, warmup_steps=4,
        eval_strategy="epoch", save_strategy="epoch", logging_strategy="steps", logging_steps=4,
        report_to=["tensorboard"], seed=0, use_cpu=True, disable_tqdm=True,
    )

    def accuracy(prediction):
        logits, labels = prediction
        return {"accuracy": float((logits.argmax(-1) == labels).mean())}

    trainer = Trainer(model=model, args=args, train_dataset=Tokens(256, 1),
                      eval_dataset=Tokens(64, 2), compute_metrics=accuracy)
    trainer.train()
    checkpoints = sorted(glob.glob(str(out_dir / "checkpoint-*")),
                         key=lambda p: int(p.rsplit("-", 1)[1]))
    target = OUT / "hf_tiny"
    _fresh(target)
    shutil.copy(Path(checkpoints[-1]) / "trainer_state.json", target / "trainer_state.json")
    target_tb = OUT / "hf_tiny_tb"
    _fresh(target_tb)
    for path in glob.glob(str(workdir / "hf_tiny_tb" / "**" / "*tfevents*"), recursive=True):
        shutil.copy(path, target_tb / os.path.basename(path))
    return {"epochs": 4, "train_samples": 256, "eval_samples": 64, "batch_size": 16,
            "steps_per_epoch": 16, "logging_steps": 4, "checkpoint": os.path.basename(checkpoints[-1])}


def make_summarywriter(workdir: Path) -> dict:
    import torch
    import torch.nn.functional as F
    from torch.utils.tensorboard import SummaryWriter

    torch.manual_seed(0)
    x, y = _synthetic_classification(torch, 384, seed=3)
    x_train, y_train, x_val, y_val = x[:256], y[:256], x[256:], y[256:]
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    log_dir = workdir / "torch_summarywriter_tb"
    writer = SummaryWriter(log_dir=str(log_dir))
    expected: dict[str, list] = {"Loss/train": [], "Loss/val": [], "Accuracy/val": [],
                                 "Loss/train_batch": []}
    step = 0
    for epoch in range(5):
        model.train()
        total = 0.0
        for i in range(0, 256, 32):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x_train[i:i + 32]), y_train[i:i + 32])
            loss.backward()
            optimizer.step()
            step += 1
            writer.add_scalar("Loss/train_batch", loss.item(), step)
            expected["Loss/train_batch"].append([step, loss.item()])
            total += loss.item()
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            val_loss = F.cross_entropy(logits, y_val).item()
            val_acc = (logits.argmax(1) == y_val).float().mean().item()
        for tag, value in (("Loss/train", total / 8), ("Loss/val", val_loss), ("Accuracy/val", val_acc)):
            writer.add_scalar(tag, value, epoch)
            expected[tag].append([epoch, value])
        writer.add_histogram("weights/0", model[0].weight, epoch)
    writer.close()
    target = OUT / "torch_summarywriter_tb"
    _fresh(target)
    for path in log_dir.iterdir():
        shutil.copy(path, target / path.name)
    (target / "expected.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    return {"epochs": 5, "steps_per_epoch": 8}


def _fresh(directory: Path) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)


def _versions() -> dict[str, str]:
    import importlib.metadata as metadata

    names = ["torch", "lightning", "transformers", "accelerate", "tensorboard", "numpy"]
    return {"python": platform.python_version(),
            **{name: metadata.version(name) for name in names}}


def write_readme(versions: dict, runs: dict) -> None:
    lines = [
        "# Logs of other frameworks",
        "",
        "Real outputs of tiny real training runs, made by `tools/make_framework_fixtures.py`",
        "(run with a separate venv holding the frameworks; see the script's docstring).",
        "Data are synthetic and seeded; models are built from configs (no downloads).",
        "",
        "| folder | what | run |",
        "|---|---|---|",
        f"| `lightning_mlp/` | PyTorch Lightning `CSVLogger` `metrics.csv` + `hparams.yaml`: "
        "`train_loss`/`train_acc` with `on_step` and `on_epoch` (`*_step`, `*_epoch` columns), "
        "`val_loss`/`val_acc`, `lr-SGD` from `LearningRateMonitor` | "
        f"{json.dumps(runs['lightning'])} |",
        "| `lightning_mlp_tb/` | the same Lightning run's `TensorBoardLogger` folder | same run |",
        f"| `hf_tiny/` | Hugging Face `Trainer` `trainer_state.json` (last checkpoint) of a tiny "
        "BERT classifier (hidden 32, 2 layers), eval and save each epoch | "
        f"{json.dumps(runs['hf'])} |",
        "| `hf_tiny_tb/` | the same Trainer run's TensorBoard events (`report_to=tensorboard`) | same run |",
        "| `torch_summarywriter_tb/` | plain PyTorch loop with `torch.utils.tensorboard.SummaryWriter`; "
        "`expected.json` = the floats passed to `add_scalar` | "
        f"{json.dumps(runs['summarywriter'])} |",
        "",
        "Versions:",
        "",
    ]
    lines += [f"- {name} {version}" for name, version in versions.items()]
    (OUT / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with tempfile.TemporaryDirectory(prefix="framework_fixtures_") as tmp:
        workdir = Path(tmp)
        runs = {"lightning": make_lightning(workdir), "hf": make_hf(workdir),
                "summarywriter": make_summarywriter(workdir)}
    write_readme(_versions(), runs)
    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
