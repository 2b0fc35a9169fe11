"""'The code' of a model: the exported script and notebook run without this repository and give
the app's numbers (reconstruction within 1e-5, one epoch's training loss within 1%)."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from aecore import codegen
from aecore.config import (AEConfig, ContractiveAEConfig, ConvAEConfig, CVAEConfig, SeqAEConfig,
                           SparseAEConfig, StackedAEConfig, TrainConfig, VAEConfig)
from aecore.data import DATA_DIR, load_split
from aecore.models import build_model
from aecore.train import TrainData, train
from aecore.weights import load_model, make_card, save_model

N_TRAIN = 384  # rows the one-epoch parity run trains on (3 batches of 128)

CASES = {  # name: (model config, train config)
    "dense": (AEConfig(latent_dim=8, hidden=(64,)), {}),
    "conv_denoising": (ConvAEConfig(latent_dim=8, hidden=(8, 16)),
                       {"noise": "gaussian", "noise_level": 0.3}),
    "sparse_l1": (SparseAEConfig(latent_dim=16, hidden=(64,), penalty="l1", weight=0.05), {}),
    "sparse_kl": (SparseAEConfig(latent_dim=16, hidden=(64,), penalty="kl", weight=0.01), {}),
    "contractive": (ContractiveAEConfig(latent_dim=8, hidden=(64,), weight=0.1), {}),
    "vae": (VAEConfig(latent_dim=4, hidden=(64,), beta=2.0), {}),
    "cvae": (CVAEConfig(latent_dim=4, hidden=(64,)), {}),
    "stacked": (StackedAEConfig(latent_dim=8, hidden=(64, 32), pretrain_epochs=1),
                {"noise": "mixed", "noise_level": 0.5}),
    "seq_gru": (SeqAEConfig(latent_dim=4, hidden=(16,), cell="gru", channels=3, seq_len=12), {}),
    "seq_lstm": (SeqAEConfig(latent_dim=4, hidden=(16,), cell="lstm", channels=3, seq_len=12), {}),
    "dense_sgd": (AEConfig(latent_dim=8, hidden=(64,)), {"optimizer": "sgd", "lr": 0.05}),
    "dense_adamw": (AEConfig(latent_dim=8, hidden=(64,)),
                    {"optimizer": "adamw", "weight_decay": 0.01, "schedule": "step"}),
    "dense_dropout_tanh": (AEConfig(latent_dim=8, hidden=(64,), dropout=0.2, output="tanh"),
                           {"loss": "mse"}),
    "conv_transpose_linear": (ConvAEConfig(latent_dim=8, hidden=(8, 16), upsample="transpose",
                                           output="linear", dropout=0.1), {"loss": "mse"}),
    "vae_dropout": (VAEConfig(latent_dim=4, hidden=(64,), dropout=0.2), {}),
    "dense_rmsprop": (AEConfig(latent_dim=8, hidden=(64,)),
                      {"optimizer": "rmsprop", "lr": 3e-4, "schedule": "warmup_cosine"}),
    # one activation per hidden layer (mirrored in the decoder)
    "dense_layer_acts": (AEConfig(latent_dim=8, hidden=(64, 32),
                                  activations=("tanh", "leaky_relu")), {}),
    "vae_layer_acts": (VAEConfig(latent_dim=4, hidden=(64, 32), activations=("elu", "tanh")), {}),
    "stacked_layer_acts": (StackedAEConfig(latent_dim=8, hidden=(64, 32), pretrain_epochs=1,
                                           activations=("sigmoid", "gelu")), {}),
}


def _inputs(cfg, n: int, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n inputs of the model's kind: uint8 MNIST digits (N, 28, 28) with labels, or sensor-like
    windows (N, T, C)."""
    if isinstance(cfg, SeqAEConfig):
        g = torch.Generator().manual_seed(offset)
        t = torch.linspace(0, 6.28, cfg.seq_len)[None, :, None]
        x = torch.sin(t * (1 + torch.rand(n, 1, cfg.channels, generator=g)))
        return x + 0.05 * torch.randn(x.shape, generator=g), torch.zeros(n, dtype=torch.long)
    s = load_split("test")
    return s.images[offset:offset + n], s.labels[offset:offset + n]


def _run(script: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The script in a fresh interpreter that cannot import this repository (-I: no PYTHONPATH,
    no user site; the working directory is a temporary folder)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-I", str(script), *args], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_exported_script_reconstructs_and_trains_like_the_app(case, tmp_path):
    model_cfg, train_kw = CASES[case]
    tcfg = TrainConfig(**{"epochs": 1, "batch_size": 128, "lr": 2e-3, "seed": 3, "val_size": 0,
                          **train_kw})
    series = isinstance(model_cfg, SeqAEConfig)

    # the app: a model built under the seed, one epoch on the same rows
    x_tr, y_tr = _inputs(model_cfg, N_TRAIN, offset=1000)
    app_model = build_model(model_cfg, seed=tcfg.seed)
    empty = x_tr[:0]
    hist = train(app_model, tcfg, data=TrainData(x_tr, None if series else y_tr, empty,
                                                 None if series else y_tr[:0]), device="cpu")
    storage = "float32" if case != "dense" else "int8"  # int8 rows widen in the script too
    weights = save_model(app_model, tmp_path / "model", make_card(app_model), storage=storage)
    app_model, _ = load_model(weights)

    x_te, y_te = _inputs(model_cfg, 8)
    save_file({"x": x_tr.contiguous(), "y": y_tr.contiguous()}, str(tmp_path / "train.safetensors"))
    save_file({"x": x_te.contiguous(), "y": y_te.contiguous()}, str(tmp_path / "test.safetensors"))
    script = tmp_path / "model.py"
    script.write_text(codegen.script(model_cfg, tcfg, title=case))
    assert len(script.read_text().splitlines()) <= 250, "the script stays readable"

    # the script trains a fresh copy on the same rows (its loss), then reconstructs with the app's
    # weights; training on --inputs uses every row given, as the app did here
    out = _run(script, "model.safetensors", "--inputs", "train.safetensors", "--train", "1",
               "--out", "tmp.png", cwd=tmp_path)
    losses = json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])["train_loss"]
    assert losses[0] == pytest.approx(hist.epochs[-1]["train_loss"], rel=0.01), (losses, hist.epochs)

    _run(script, "model.safetensors", "--inputs", "test.safetensors", "--out", "recon.safetensors",
         cwd=tmp_path)
    got = load_file(str(tmp_path / "recon.safetensors"))["recon"]
    x = x_te.float() if series else x_te.unsqueeze(1).float() / 255.0
    with torch.no_grad():
        want = app_model.reconstruct(x, None if series else y_te)
    assert got.shape == want.shape
    assert torch.allclose(got, want, atol=1e-5), (got - want).abs().max()


@pytest.fixture(scope="module")
def torchvision_mnist(tmp_path_factory) -> Path:
    """The bundled MNIST in torchvision's layout (MNIST/raw/, uncompressed), as its
    ``download=True`` leaves it: the script's own data path, with no network."""
    root = tmp_path_factory.mktemp("tv")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for gz in DATA_DIR.glob("*-ubyte.gz"):
        with gzip.open(gz) as src, open(raw / gz.name[:-3], "wb") as dst:
            shutil.copyfileobj(src, dst)
    return root


def test_notebook_validates_and_its_cells_run_in_order(tmp_path, torchvision_mnist):
    """The notebook passes nbformat's schema; its code cells, run in order as one script beside
    the model file, reconstruct test digits from the data set's own files."""
    import nbformat

    cfg = VAEConfig(latent_dim=4, hidden=(32,))
    tcfg = TrainConfig(epochs=1, optimizer="sgd", schedule="constant")
    model = build_model(cfg, seed=0)
    save_model(model, tmp_path / "model", make_card(model))
    nb = codegen.notebook(cfg, tcfg, title="my VAE")
    nbformat.validate(nb)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "SGD with momentum" in md and r"\theta_t" in md and "KL" in md
    code = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
    code = code.replace('sys.argv = ["model", "model.safetensors"]',
                        f'sys.argv = ["model", "model.safetensors", "--data", {str(torchvision_mnist)!r},'
                        f' "--out", "recon.safetensors"]')
    (tmp_path / "notebook.py").write_text(code)
    _run(tmp_path / "notebook.py", cwd=tmp_path)
    got = load_file(str(tmp_path / "recon.safetensors"))
    want_x = load_split("test").float_images(slice(0, 8))
    assert torch.equal(got["x"], want_x)
    with torch.no_grad():
        assert torch.allclose(got["recon"], model.reconstruct(want_x), atol=1e-5)
