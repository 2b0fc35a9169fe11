"""A model as code: a self-contained PyTorch script, and the same as a Jupyter notebook.

The script holds the model as plain ``nn.Module`` code with the same layers in the same order as
ours (so its ``state_dict`` keys match the weight file's, and its seeded initialisation equals
:func:`aecore.models.build_model`'s), loading the ``.safetensors`` file (int8 rows widened as
:mod:`aecore.weights` packs them), reconstructing a few test images, and the training loop with
the same config: loss, optimiser, schedule, noise and the type's penalty. It needs only torch,
torchvision and safetensors. The noise and schedule functions are copied from this package's own
source (``inspect.getsource``), so the two cannot drift apart; tests/test_codegen.py runs every
kind's script in a subprocess without this repository on its path and compares its numbers with
ours.
"""
from __future__ import annotations

import ast
import inspect
import json
import re
import textwrap
from typing import Any

from . import noise, optim
from .config import config_to_dict

# the pieces of a script, as (title, markdown for the notebook, code) in reading order
Section = tuple[str, str, str]

_HEAD = '''"""{title}: an autoencoder exported from Autoencoder Explorer.

    python {script} MODEL.safetensors                 # reconstruct 8 test inputs
    python {script} MODEL.safetensors --train 1       # train a fresh copy for 1 epoch

Needs torch, torchvision and safetensors. MNIST-style data come from torchvision (--data DIR).
"""
from __future__ import annotations

import argparse
import json
import math
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

MODEL = SimpleNamespace(**json.loads({model!r}))
TRAIN = SimpleNamespace(**json.loads({train!r}))
SHAPE = tuple(getattr(MODEL, "shape", (1, 28, 28)))  # (C, H, W) of one input image
'''

_ACT_CODE = {"relu": "nn.ReLU", "gelu": "nn.GELU", "elu": "nn.ELU", "tanh": "nn.Tanh",
             "sigmoid": "nn.Sigmoid", "leaky_relu": "lambda: nn.LeakyReLU(0.1)"}

_DENSE = '''class Autoencoder(nn.Module):
    """D -> hidden... -> k -> ...hidden -> D (D = C*H*W); the decoder emits logits."""

    def __init__(self, c):
        super().__init__()
        sizes = [math.prod(SHAPE), *c.hidden, c.latent_dim]
        self.enc = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        rev = sizes[::-1]
        self.dec = nn.ModuleList(nn.Linear(a, b) for a, b in zip(rev[:-1], rev[1:]))
        names = getattr(c, "activations", None) or [c.activation] * len(c.hidden)
        self.acts = nn.ModuleList(ACTS[a]() for a in names)  # after each hidden layer, in order
        self.code_act = {code_act}
        self.drop = nn.Dropout(c.dropout)  # while training only

    def encode(self, x, y=None):
        h = x.flatten(1)  # (B, D)
        for i, layer in enumerate(self.enc):
            h = layer(h)
            h = self.code_act(h) if i == len(self.enc) - 1 else self.drop(self.acts[i](h))
        return h  # (B, k)

    def decode_logits(self, z, y=None):
        h = z
        for i, layer in enumerate(self.dec):
            h = layer(h)
            # decoder layer i makes width hidden[-1 - i]: the activation encoder layer -1 - i has
            h = h if i == len(self.dec) - 1 else self.drop(self.acts[-1 - i](h))
        return h.view(-1, *SHAPE)

    def forward(self, x, y=None):
        return self.decode_logits(self.encode(x))
'''

_CONV = '''def up(c_in, c_out):  # (B, c_in, h, w) -> (B, c_out, 2h, 2w)
    {up}


class Autoencoder(nn.Module):
    """Two 3x3 stride-2 convs (H -> H/2 -> H/4), a dense code, a mirrored decoder."""

    def __init__(self, c):
        super().__init__()
        (c1, c2), k, (ch, h, w) = c.hidden, c.latent_dim, SHAPE
        act = lambda: [ACTS[c.activation]()] + ([nn.Dropout(c.dropout)] if c.dropout else [])  # noqa: E731
        self.encoder = nn.Sequential(
            nn.Conv2d(ch, c1, 3, stride=2, padding=1), *act(),  # (B, c1, H/2, W/2)
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), *act(),  # (B, c2, H/4, W/4)
            nn.Flatten(), nn.Linear(c2 * (h // 4) * (w // 4), k))  # (B, k)
        self.decoder = nn.Sequential(
            nn.Linear(k, c2 * (h // 4) * (w // 4)), *act(), nn.Unflatten(1, (c2, h // 4, w // 4)),
            *up(c2, c1), *act(),  # (B, c1, H/2, W/2)
            *up(c1, ch))          # (B, C, H, W)

    def encode(self, x, y=None):
        return self.encoder(x)

    def decode_logits(self, z, y=None):
        return self.decoder(z)

    def forward(self, x, y=None):
        return self.decode_logits(self.encode(x))
'''

_VAE = '''def mlp(sizes, acts):  # an activation (and dropout) after the first len(acts) layers
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(acts):
            layers += [ACTS[acts[i]]()] + ([nn.Dropout(MODEL.dropout)] if MODEL.dropout else [])
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """VAE: the encoder gives mu and log sigma^2 of q(z|x){cond_doc}."""

    def __init__(self, c):
        super().__init__()
        self.n_cond = {n_cond}
        # after each hidden layer of the encoder; the decoder's mirrored
        acts = list(getattr(c, "activations", None) or [c.activation] * len(c.hidden))
        self.body = mlp([math.prod(SHAPE) + self.n_cond, *c.hidden], acts)
        self.mu = nn.Linear(c.hidden[-1], c.latent_dim)
        self.logvar = nn.Linear(c.hidden[-1], c.latent_dim)
        self.decoder = mlp([c.latent_dim + self.n_cond, *c.hidden[::-1], math.prod(SHAPE)],
                           acts[::-1])

    def cond(self, h, y):  # the conditional VAE appends the one-hot label
        return torch.cat([h, F.one_hot(y.long(), self.n_cond).to(h.dtype)], 1) if self.n_cond else h

    def encode_dist(self, x, y=None):
        h = self.body(self.cond(x.flatten(1), y))
        return self.mu(h), self.logvar(h).clamp(-12.0, 8.0)

    def encode(self, x, y=None):
        return self.encode_dist(x, y)[0]  # the posterior mean

    def decode_logits(self, z, y=None):
        return self.decoder(self.cond(z, y)).view(-1, *SHAPE)

    def forward(self, x, y=None):
        return self.decode_logits(self.encode(x, y), y)
'''

_SEQ = '''class Autoencoder(nn.Module):
    """An {cell} encoder's last state -> code of k -> an {cell} decoder reading it every step."""

    def __init__(self, c):
        super().__init__()
        rnn, h = (nn.LSTM if c.cell == "lstm" else nn.GRU), c.hidden[0]
        self.encoder = rnn(c.channels, h, batch_first=True)
        self.to_code = nn.Linear(h, c.latent_dim)
        self.decoder = rnn(c.latent_dim, h, batch_first=True)
        self.head = nn.Linear(h, c.channels)

    def encode(self, x, y=None):  # x (B, T, C)
        _, state = self.encoder(x)
        return self.to_code((state[0] if isinstance(state, tuple) else state)[-1])  # (B, k)

    def forward(self, x, y=None):
        out, _ = self.decoder(self.encode(x).unsqueeze(1).expand(-1, x.shape[1], -1))
        return self.head(out)  # (B, T, C): values, not logits
'''

_LOAD = '''def load_weights(path):
    """The file's tensors as float32 by state-dict name: an int8 matrix is stored with one
    float16 scale per output row under NAME::scale."""
    t = load_file(path)
    out = {}
    for name, w in t.items():
        if name.endswith("::scale"):
            continue
        if name + "::scale" in t:
            w = (w.reshape(w.shape[0], -1).float() * t[name + "::scale"].float()[:, None]).reshape(w.shape)
        out[name] = w.float()
    return out
'''

_DATA = '''def load_data(root, train):
    """{dataset} images (N, 28, 28) uint8 and labels from torchvision (downloads once)."""
    from torchvision import datasets
    ds = datasets.{tv_class}(root, train=train, download=True)
    return ds.data, ds.targets


def as_float(images):
    x = images.float() / 255.0  # uint8 (B, H, W) or (B, C, H, W) -> [0, 1]
    return x.unsqueeze(1) if x.dim() == 3 else x
'''

_DATA_SERIES = '''def as_float(windows):
    return windows.float()  # (B, T, C): the sensor windows are already values
'''

_RECON_BCE = '''def recon(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="{red}"){per}
'''
_RECON_MSE = '''def recon(logits, x):
    return ({pred} - {target}).pow(2){per}
'''
# the decoder's last activation as image values in [0, 1] (aecore.losses.output_image), and what
# the squared error compares: (prediction, target) per output
_TO_IMAGE = {"sigmoid": "torch.sigmoid(logits)", "tanh": "(torch.tanh(logits) + 1) / 2",
             "linear": "logits.clamp(0, 1)"}
_SQ = {"sigmoid": ("torch.sigmoid(logits)", "x"), "tanh": ("torch.tanh(logits)", "(2 * x - 1)"),
       "linear": ("logits", "x")}

_TRAIN = '''def run_phase(params, loss_of, x_all, y_all, epochs, gen):
    """The app's loop: a seeded permutation an epoch, {opt_label}, the {sched_label} schedule."""
    n, steps = x_all.shape[0], math.ceil(x_all.shape[0] / TRAIN.batch_size)
    opt = {opt}
    total, t, losses = epochs * steps, 0, []
    for epoch in range(epochs):
        perm, loss_sum = torch.randperm(n, generator=gen), 0.0
        for step in range(steps):
            idx = perm[step * TRAIN.batch_size:(step + 1) * TRAIN.batch_size]
            x = as_float(x_all[idx])
            y = None if y_all is None else y_all[idx]
            x_in = {noisy}
            for g in opt.param_groups:
                g["lr"] = lr_at(TRAIN, t, total)
            loss = loss_of(x_in, x, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            t, loss_sum = t + 1, loss_sum + loss.item()
        losses.append(loss_sum / steps)
        print(f"epoch {{epoch + 1}}: train loss {{losses[-1]:.5f}}")
    return losses


def train(model, x_all, y_all, epochs):
    torch.manual_seed(TRAIN.seed)  # dropout's masks, as the app seeds them
    gen = torch.Generator().manual_seed(TRAIN.seed)  # one generator: permutations, noise, samples
{stages}    return run_phase(list(model.parameters()), lambda x_in, x, y: loss_fn(model, x_in, x, y, gen),
                     x_all, y_all, epochs, gen)
'''

_STAGES = '''    last = len(model.enc) - 1
    for s in range(last + 1 if MODEL.pretrain_epochs else 0):  # greedy: one layer pair at a time
        def stage_loss(x_in, x, y, s=s):
            with torch.no_grad():  # the frozen layers below make this stage's data
                h = x_in.flatten(1)
                for i in range(s):
                    h = model.acts[i](model.enc[i](h))
            out = model.enc[s](h)
            out = model.dec[last - s](model.code_act(out) if s == last else model.acts[s](out))
            if s == 0:
                return recon(out, h)  # pixels from logits
            return (model.acts[s - 1](out) - h).pow(2).mean()  # hidden activations of layer s-1
        params = [*model.enc[s].parameters(), *model.dec[last - s].parameters()]
        run_phase(params, stage_loss, x_all, y_all, MODEL.pretrain_epochs, gen)
'''

_OPTS = {
    "adam": "torch.optim.Adam(params, lr=TRAIN.lr, weight_decay=TRAIN.weight_decay)",
    "adamw": "torch.optim.AdamW(params, lr=TRAIN.lr, weight_decay=TRAIN.weight_decay)",
    "sgd": ("torch.optim.SGD(params, lr=TRAIN.lr, momentum=TRAIN.momentum,\n"
            "                          weight_decay=TRAIN.weight_decay)"),
    "rmsprop": ("torch.optim.RMSprop(params, lr=TRAIN.lr, momentum=TRAIN.momentum,\n"
                "                              weight_decay=TRAIN.weight_decay)"),
}

_MAIN = '''def read_inputs(a, train):
    """--inputs (a .safetensors file of 'x', maybe 'y'), else the data set's split."""
    if a.inputs:
        t = load_file(a.inputs)
        return t["x"], t.get("y")
{read_data}


def main():
    p = argparse.ArgumentParser(description="An autoencoder exported from Autoencoder Explorer.")
    p.add_argument("weights", help="the model's .safetensors file")
    p.add_argument("--data", default="data", help="where torchvision keeps the data set")
    p.add_argument("--inputs", help="a .safetensors file with inputs 'x' (and labels 'y')")
    p.add_argument("--n", type=int, default=8, help="how many test inputs to reconstruct")
    p.add_argument("--out", default="{out}", help="{out_help}")
    p.add_argument("--train", type=int, default=0, help="epochs to train a fresh copy for")
    a = p.parse_args()
    torch.manual_seed(TRAIN.seed)  # the app builds its model under the same seed: same start
    model = Autoencoder(MODEL)
    if a.train:
        losses = train(model, *read_inputs(a, train=True), a.train)
        print(json.dumps({{"train_loss": losses}}))
    model.load_state_dict(load_weights(a.weights))
    model.eval()
    x, y = read_inputs(a, train=False)
    x, y = as_float(x[:a.n]), None if y is None else y[:a.n]
    with torch.no_grad():
        out = {reconstruct}
{save}
    print(f"wrote {{a.out}}")


if __name__ == "__main__":
    main()
'''

_READ_IMAGES = '''    x, y = load_data(a.data, train)
    if train:  # the app's split: a seeded permutation, val_size held out, subset kept
        keep = torch.randperm(len(x), generator=torch.Generator().manual_seed(TRAIN.seed))
        keep = keep[min(TRAIN.val_size, len(x) // 5):][:TRAIN.subset or None]
        x, y = x[keep], y[keep]
    return x, y'''
_READ_SERIES = '''    raise SystemExit("the sensor windows come from the app: pass --inputs FILE")'''
_SAVE_IMAGES = '''    if a.out.endswith(".safetensors"):
        save_file({"x": x.contiguous(), "recon": out.contiguous()}, a.out)
    else:
        from torchvision.utils import save_image
        save_image(torch.cat([x, out]), a.out, nrow=x.shape[0])'''
_SAVE_SERIES = '''    save_file({"x": x.contiguous(), "recon": out.contiguous()}, a.out)'''


def _source(*funcs: Any) -> str:
    """The functions' own source, without their docstrings (the script's comments say why)."""
    out = []
    for f in funcs:
        src = textwrap.dedent(inspect.getsource(f))
        body = ast.parse(src).body[0].body
        doc = body[0] if isinstance(body[0], ast.Expr) and isinstance(
            getattr(body[0], "value", None), ast.Constant) else None
        lines = src.splitlines()
        if doc is not None:
            del lines[doc.lineno - 1:doc.end_lineno]
        out.append("\n".join(lines) + "\n")
    return "\n\n".join(out)


def _noise_code(kind: str) -> str:
    """The corruption the config trains on, copied from :mod:`aecore.noise`."""
    if kind == "none":
        return ""
    if kind == "mixed":
        return (_source(noise._uniform, noise._normal, noise.gaussian, noise.salt_pepper, noise.masking, noise.speckle)
                + '\n\n\nKINDS = ("gaussian", "salt_pepper", "masking", "speckle")\n'
                  "_FUNCS = {k: globals()[k] for k in KINDS}\n\n\n" + _source(noise.mixed))
    helper = noise._normal if kind in ("gaussian", "speckle") else noise._uniform
    return _source(helper, getattr(noise, kind))


def _loss_code(kind: str, cfg: Any, loss: str) -> str:
    """``loss_fn(model, x_in, x, y, gen)``: the training objective of ``kind``."""
    per_image = kind in ("vae", "cvae")
    output = getattr(cfg, "output", "sigmoid")
    if loss == "bce":
        rec = _RECON_BCE.format(red="sum", per=" / x.shape[0]" if per_image else " / x.numel()")
    else:
        pred, target = _SQ[output]
        rec = _RECON_MSE.format(per=".flatten(1).sum(1).mean()" if per_image else ".mean()",
                                pred=pred, target=target)
    if kind != "seq":
        rec = f"def to_image(logits):\n    return {_TO_IMAGE[output]}\n\n\n" + rec
    if kind == "seq":
        body = "    return (model(x_in) - x).pow(2).mean()"
    elif per_image:
        body = ("    mu, logvar = model.encode_dist(x_in, y)\n"
                "    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=gen)\n"
                "    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()\n"
                f"    return recon(model.decode_logits(z, y), x) + {cfg.beta!r} * kl")
    elif kind == "contractive":
        body = ("    x_in = x_in.detach().requires_grad_(True)\n"
                "    code = model.encode(x_in)\n"
                "    v = torch.randn(code.shape, generator=gen)  # Hutchinson: E||J^T v||^2 = ||J||_F^2\n"
                "    (g,) = torch.autograd.grad(code, x_in, grad_outputs=v, create_graph=True)\n"
                f"    return recon(model.decode_logits(code), x) + {cfg.weight!r} * g.pow(2).flatten(1).sum(1).mean()")
    elif kind == "sparse" and cfg.penalty == "kl":
        body = ("    code = model.encode(x_in)\n"
                "    rho, rho_hat = MODEL.rho, code.mean(0).clamp(1e-6, 1 - 1e-6)\n"
                "    kl = (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()\n"
                f"    return recon(model.decode_logits(code), x) + {cfg.weight!r} * kl")
    elif kind == "sparse":
        body = ("    code = model.encode(x_in)\n"
                f"    return recon(model.decode_logits(code), x) + {cfg.weight!r} * code.abs().mean()")
    else:
        body = "    return recon(model(x_in, y), x)"
    head = "" if kind == "seq" else rec + "\n\n"
    return head + "def loss_fn(model, x_in, x, y, gen):\n" + body + "\n"


_MODELS = {"dense": _DENSE, "sparse": _DENSE, "contractive": _DENSE, "stacked": _DENSE,
           "conv": _CONV, "vae": _VAE, "cvae": _VAE, "seq": _SEQ}
_CODE_ACT = {"sparse_l1": "nn.ReLU()", "sparse_kl": "nn.Sigmoid()", "contractive": "nn.Sigmoid()"}
_TV = {"mnist": ("MNIST", "MNIST"), "fashion-mnist": ("FashionMNIST", "Fashion-MNIST")}


def supported(card: dict) -> bool:
    """Whether :func:`script_sections` can write this card's model as code."""
    cfg = card.get("config") if isinstance(card, dict) else None
    return isinstance(cfg, dict) and cfg.get("kind") in _MODELS


def _act_code(cfg: Any) -> str:
    """The activation classes the model uses, by name (a config's ``activations`` where it has
    them, else ``activation`` after every hidden layer, as ``AEConfig.layer_activations``)."""
    names = sorted(set(cfg.layer_activations()) | {cfg.activation})
    table = ", ".join(f"{n!r}: {_ACT_CODE[n]}" for n in names)
    return f"ACTS = {{{table}}}\n\n\n"


def _model_code(kind: str, cfg: Any) -> str:
    if kind == "seq":
        return _SEQ.format(cell=cfg.cell.upper())
    act = _act_code(cfg)
    code = _MODELS[kind]
    if code is _DENSE:
        key = f"sparse_{cfg.penalty}" if kind == "sparse" else kind
        return act + code.format(code_act=_CODE_ACT.get(key, "nn.Identity()"))
    if code is _VAE:
        n = cfg.n_classes if kind == "cvae" else 0
        doc = "; the one-hot label joins the input and the code" if n else ""
        return act + code.format(n_cond=n, cond_doc=doc)
    up = ("return [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1)]"
          if cfg.upsample == "transpose"
          else "return [nn.Upsample(scale_factor=2), nn.Conv2d(c_in, c_out, 3, padding=1)]")
    return act + code.format(up=up)


def script_sections(model_cfg: Any, train_cfg: Any, title: str = "model",
                    script: str = "model.py") -> list[Section]:
    """The exported script of a (model config, train config) pair as titled sections, each with
    the notebook's Markdown for it; :func:`script` joins them."""
    kind = type(model_cfg).kind
    if kind not in _MODELS:
        raise ValueError(f"no code export for model kind {kind!r}")
    series, title = kind == "seq", safe_title(title)
    mdict, tdict = config_to_dict(model_cfg), _train_dict(train_cfg)
    rule, sched = optim.OPTIMIZERS[train_cfg.optimizer], optim.SCHEDULES[train_cfg.schedule]
    noisy = (f"add_noise(x, {train_cfg.noise!r}, {train_cfg.noise_level!r}, gen)"
             if train_cfg.noise != "none" and train_cfg.noise_level else "x")
    noise_code = _noise_code(train_cfg.noise) if noisy != "x" else ""
    if noise_code:
        noise_code += ("\n\n\ndef add_noise(x, kind, level, gen):\n"
                       + ("    return mixed(x, level, gen)\n" if train_cfg.noise == "mixed"
                          else f"    return {train_cfg.noise}(x, level, gen)\n"))
    tv_class, ds_name = _TV.get(train_cfg.dataset, _TV["mnist"])
    data = _DATA_SERIES if series else _DATA.format(dataset=ds_name, tv_class=tv_class)
    rec = "model(x)" if series else "to_image(model(x, y))"
    main = _MAIN.format(
        read_data=_READ_SERIES if series else _READ_IMAGES, reconstruct=rec,
        save=_SAVE_SERIES if series else _SAVE_IMAGES,
        out="recon.safetensors" if series else "recon.png",
        out_help="a .safetensors file of x and recon" if series
        else ".png grid, or .safetensors of x and recon")
    train = _TRAIN.format(opt=_OPTS[train_cfg.optimizer], opt_label=rule.label,
                          sched_label=sched.label, noisy=noisy,
                          stages=_STAGES if kind == "stacked" else "")
    return [
        ("Settings", f"# {title}\nThe model's and the training's settings, as saved in its card.",
         _HEAD.format(title=title, script=script, model=json.dumps(mdict),
                      train=json.dumps(tdict))),
        ("The model", "The same layers, in the same order, as the app's model: the weight file's "
                      "names match its `state_dict`.", _model_code(kind, model_cfg)),
        ("Loading the weights", "Safetensors never runs code; int8 rows are widened back.",
         _LOAD),
        ("Data", f"Inputs scaled to [0, 1]." if not series else "Sensor windows (N, T, C).", data),
        ("Noise", "The corruption a denoising AE is trained to undo.", noise_code),
        ("Loss", _loss_markdown(kind, train_cfg), _loss_code(kind, model_cfg, train_cfg.loss)),
        ("Optimiser and schedule", f"**{rule.label}**: $${rule.latex}$$\n\n{rule.summary}\n\n"
                                   f"Learning rate, **{sched.label}**: $${sched.latex}$$",
         _source(optim.lr_at)),
        ("Training", "One seeded permutation of the training set an epoch, one step a batch.",
         train),
        ("Run", "Reconstruct a few test inputs with the trained weights, or train a fresh copy.",
         main),
    ]


def _train_dict(train_cfg: Any) -> dict:
    import dataclasses
    return dataclasses.asdict(train_cfg)


def _loss_markdown(kind: str, train_cfg: Any) -> str:
    rec = (r"binary cross-entropy $-\sum x\log\hat x + (1-x)\log(1-\hat x)$" if train_cfg.loss == "bce"
           else r"squared error $\|x - \hat x\|^2$")
    extra = {"vae": r" plus $\beta\,\mathrm{KL}(q(z|x)\,\|\,\mathcal N(0, I))$",
             "cvae": r" plus $\beta\,\mathrm{KL}(q(z|x,y)\,\|\,\mathcal N(0, I))$",
             "sparse": " plus a sparsity penalty on the code",
             "contractive": r" plus $\lambda\|\partial h / \partial x\|_F^2$",
             "seq": ""}.get(kind, "")
    return "The reconstruction loss, " + (r"mean squared error on values" if kind == "seq" else rec) + extra + "."


def safe_title(title: Any) -> str:
    """A card's title fit to stand in generated code and Markdown: a user wrote it, so only
    letters, digits, spaces and plain punctuation are kept (no quotes that could end the
    docstring, no Markdown or HTML), at most 80 characters."""
    text = re.sub(r"[^\w ,.:;=+()\-]", "", str(title), flags=re.ASCII)[:80].strip()
    return text or "model"


def script(model_cfg: Any, train_cfg: Any, title: str = "model", script_name: str = "model.py") -> str:
    """The whole exported script, ready to save as ``script_name``."""
    parts = [code.rstrip() + "\n" for _, _, code in script_sections(model_cfg, train_cfg, title,
                                                                    script_name) if code]
    return "\n\n".join(parts)


def notebook(model_cfg: Any, train_cfg: Any, title: str = "model") -> dict:
    """The script as a Jupyter notebook (nbformat 4): a Markdown cell with the formulas before
    each code section. The last cell runs ``main`` on ``model.safetensors`` beside it."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for name, md, code in script_sections(model_cfg, train_cfg, title, "model.ipynb"):
        if not code:
            continue
        if name == "Run":  # a notebook has no command line: call main with its arguments
            code = code.replace('if __name__ == "__main__":\n    main()\n', "")
            nb.cells.append(nbformat.v4.new_markdown_cell(f"## {name}\n{md}"))
            nb.cells.append(nbformat.v4.new_code_cell(code.rstrip()))
            nb.cells.append(nbformat.v4.new_code_cell(
                'import sys\nsys.argv = ["model", "model.safetensors"]\nmain()'))
            continue
        nb.cells.append(nbformat.v4.new_markdown_cell(f"## {name}\n{md}"))
        nb.cells.append(nbformat.v4.new_code_cell(code.rstrip()))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb
