"""Optimisers and learning-rate schedules: the one declaration of each, as data.

Each :class:`Rule` names a choice of :class:`aecore.config.TrainConfig` (``optimizer`` or
``schedule``), its label, the update rule in LaTeX (what the Train and Under-the-hood pages show)
and the code that builds it. The training loop (:mod:`aecore.train`), the Train form
(:mod:`aecore.model_types`), the exported script (:mod:`aecore.codegen`) and the CLI all read
these tables, so a choice is declared once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from .config import TrainConfig


@dataclass(frozen=True)
class Rule:
    """One optimiser or schedule: its name in the config, the words and formula shown for it."""

    name: str
    label: str
    latex: str
    summary: str


# the update rules in the notation of the texts we teach from: theta the weights, eta the
# learning rate, g_t the gradient of the loss at step t
OPTIMIZERS: dict[str, Rule] = {r.name: r for r in (
    Rule("adam", "Adam",
         r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,"
         r"\quad \theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}",
         "A running mean of the gradient, scaled by a running mean of its square: each weight "
         "gets its own step size (Kingma & Ba, 2015)."),
    Rule("adamw", "AdamW",
         r"\theta_t = \theta_{t-1} - \eta\left(\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"
         r" + \lambda\,\theta_{t-1}\right)",
         "Adam with the weight decay applied to the weights directly, not through the gradient "
         "(Loshchilov & Hutter, 2019)."),
    Rule("sgd", "SGD with momentum",
         r"v_t = \mu\, v_{t-1} + g_t,\quad \theta_t = \theta_{t-1} - \eta\, v_t",
         "The plain rule theta := theta - eta dL/dtheta, with a velocity that keeps a share mu "
         "of the last step."),
    Rule("rmsprop", "RMSProp",
         r"s_t = \alpha\, s_{t-1} + (1-\alpha)\, g_t^2,\quad"
         r" \theta_t = \theta_{t-1} - \eta\,\frac{g_t}{\sqrt{s_t} + \epsilon}",
         "Each weight's step is divided by a running root mean square of its gradients "
         "(Hinton's lecture 6e); with momentum mu on top."),
)}

SCHEDULES: dict[str, Rule] = {r.name: r for r in (
    Rule("constant", "constant", r"\eta_t = \eta", "The same rate for every step."),
    Rule("cosine", "cosine decay", r"\eta_t = \eta\left(0.05 + 0.95\cdot\tfrac12"
                                   r"\left(1 + \cos\frac{\pi t}{T}\right)\right)",
         "Falls smoothly to 5% of the peak over all T steps."),
    Rule("step", "step decay", r"\eta_t = \eta \cdot 0.1^{\lfloor 3t / T \rfloor}",
         "Divided by 10 after each third of the steps."),
    Rule("warmup_cosine", "warm-up, then cosine",
         r"\eta_t = \eta\,\frac{t}{W}\ (t < W),\ \text{then cosine decay}",
         "Rises linearly over the first 5% of the steps, then decays like cosine."),
)}


def lr_at(cfg: "TrainConfig", t: int, total: int) -> float:
    """The learning rate of step ``t`` (0-based) of ``total`` under ``cfg.schedule``."""
    frac = min(t / max(total, 1), 1.0)
    if cfg.schedule == "constant":
        return cfg.lr
    if cfg.schedule == "step":
        return cfg.lr * 0.1 ** min(int(3 * frac), 2)
    if cfg.schedule == "warmup_cosine":
        warm = 0.05
        if frac < warm:
            return cfg.lr * (t + 1) / max(warm * total, 1)
        frac = (frac - warm) / (1 - warm)
    # cosine decay to 5% of the peak: better final loss than a constant rate, no extra knob
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))


def lr_curve(cfg: "TrainConfig", total: int, points: int = 200) -> tuple[list[int], list[float]]:
    """(steps, rates) of the schedule over ``total`` steps, at most ``points`` of them: what the
    Train page draws before a run starts."""
    stride = max(1, total // points)
    steps = list(range(0, total, stride)) or [0]
    return steps, [lr_at(cfg, t, total) for t in steps]


def make_optimizer(params: list, cfg: "TrainConfig") -> "torch.optim.Optimizer":
    """The optimiser ``cfg.optimizer`` over ``params`` with ``cfg``'s rate, decay and momentum.

    Adam and AdamW run fused (one kernel for all parameters; CPU support since torch 2.4) where
    this torch has it, else ``foreach``.
    """
    import torch

    kw: dict[str, Any] = dict(lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, momentum=cfg.momentum, foreach=True, **kw)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, momentum=cfg.momentum, foreach=True, **kw)
    cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    try:
        return cls(params, fused=True, **kw)
    except (RuntimeError, TypeError):
        return cls(params, foreach=True, **kw)
