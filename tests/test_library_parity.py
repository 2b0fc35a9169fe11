"""The field's libraries where we used to hand-roll: each swap checked against the code it
replaced (kept below, verbatim but for names), on the same data, within a stated tolerance.

* scikit-learn: AUROC and the ROC curve (exact, 1e-12), the kNN probe's neighbour search (exact:
  the same neighbours, so the same accuracy), the logistic-regression probe (within 1.5
  percentage points: two L-BFGS codes stopped after the same few iterations);
* torchvision: ``make_grid`` for tiles, and ``transforms.v2`` for the resize and centring of
  upload preprocessing (equal to the last bit; the crop is a plain slice again);
* SSIM stays ours: torchmetrics' SSIM is about 12x slower on 1,000 digits here, and on all
  10,000 test digits in float64 its convolution asks for 38 GB. Ours is checked against its
  SSIM map on the same 'valid' region (torchmetrics averages its reflect-padded full map).
"""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from aecore import preprocess
from aecore.data import load_split
from aecore.latent import tile
from aecore.metrics import auroc, knn_accuracy, logistic_accuracy, roc_curve, ssim


# the replaced implementations

def old_auroc(s: np.ndarray, lab: np.ndarray) -> float:
    order = np.argsort(s, kind="mergesort")
    xs = s[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ends = np.r_[starts[1:], xs.size]
    ranks = np.empty(s.size)
    ranks[order] = np.repeat((starts + 1 + ends) / 2.0, ends - starts)
    n_pos = int(lab.sum())
    return float((ranks[lab].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * (lab.size - n_pos)))


def old_roc_curve(s: np.ndarray, lab: np.ndarray):
    order = np.argsort(-s, kind="mergesort")
    s_sorted, lab_sorted = s[order], lab[order]
    tps, fps = np.cumsum(lab_sorted), np.cumsum(~lab_sorted)
    last = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    tps, fps, distinct = tps[last], fps[last], s_sorted[last]
    return (np.r_[0.0, fps] / (~lab).sum(), np.r_[0.0, tps] / lab.sum(), np.r_[distinct, -np.inf])


def old_knn_accuracy(xtr, ytr, xte, yte, k=5, chunk=1024) -> float:
    classes, ytr_idx = torch.unique(ytr, return_inverse=True)
    n_cls = int(classes.shape[0])
    sq_tr = xtr.square().sum(dim=1)
    pos_bonus = torch.arange(k, 0, -1, dtype=torch.float32)
    correct = 0
    for i in range(0, xte.shape[0], chunk):
        d2 = torch.addmm(sq_tr[None, :], xte[i:i + chunk], xtr.T, alpha=-2.0)
        nn = torch.topk(d2, k, dim=1, largest=False, sorted=True).indices
        onehot = torch.nn.functional.one_hot(ytr_idx[nn], n_cls).float()
        first = (onehot * pos_bonus[None, :, None]).amax(dim=1) / (k + 1)
        pred = classes[(onehot.sum(dim=1) + first).argmax(dim=1)]
        correct += int((pred == yte[i:i + chunk]).sum())
    return correct / xte.shape[0]


def old_logistic_accuracy(xtr, ytr, xte, yte, epochs=30, seed=0, weight_decay=1e-4) -> float:
    classes, ytr_idx = torch.unique(ytr, return_inverse=True)
    mean, std = xtr.mean(dim=0), xtr.std(dim=0)
    std = torch.where(std > 1e-8, std, torch.ones_like(std))
    ztr, zte = (xtr - mean) / std, (xte - mean) / std
    gen = torch.Generator().manual_seed(seed)
    weight = (0.01 * torch.randn(ztr.shape[1], len(classes), generator=gen)).requires_grad_()
    bias = torch.zeros(len(classes), requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=epochs, history_size=20,
                            tolerance_grad=1e-6, tolerance_change=1e-9,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(ztr @ weight + bias, ytr_idx)
        loss = loss + weight_decay * weight.square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        pred = classes[(zte @ weight + bias).argmax(dim=1)]
    return float((pred == yte).float().mean())


def old_tile(images, cols, gap=0, fill=1.0) -> np.ndarray:
    b = images.shape[0]
    cols = min(int(cols), b)
    rows = -(-b // cols)
    cell = 28 + gap
    out = np.full((rows * cell - gap, cols * cell - gap), fill, dtype=np.float32)
    imgs = images.float().reshape(b, 28, 28).clamp(0, 1).numpy()
    for i, im in enumerate(imgs):
        r, c = divmod(i, cols)
        out[r * cell:r * cell + 28, c * cell:c * cell + 28] = im
    return out


def old_scale_to_box(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape
    factor = preprocess.DIGIT_BOX / max(h, w)
    size = (min(20, max(1, round(w * factor))), min(20, max(1, round(h * factor))))
    return np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS))


def old_centre(digit: np.ndarray) -> np.ndarray:
    h, w = digit.shape
    mass = digit.astype(np.float64)
    total = mass.sum()
    cy = (mass.sum(axis=1) * np.arange(h)).sum() / total
    cx = (mass.sum(axis=0) * np.arange(w)).sum() / total
    top = int(np.clip(round(14 - cy), 0, 28 - h))
    left = int(np.clip(round(14 - cx), 0, 28 - w))
    field = np.zeros((28, 28), dtype=np.float32)
    field[top:top + h, left:left + w] = mass
    return field / field.max()


# the checks

@pytest.fixture(scope="module")
def mnist():
    return load_split("train"), load_split("test")


def test_auroc_and_roc_curve_equal_the_rank_versions_exactly():
    rng = np.random.default_rng(0)
    for n, levels in ((50, 7), (5000, 40), (20_000, 10_000)):  # few distinct scores: many ties
        lab = rng.random(n) < 0.3
        s = np.round(rng.normal(size=n) + lab, 0) if levels < 50 else rng.normal(size=n) + lab
        s = np.round(s * levels) / levels
        assert auroc(s, lab) == pytest.approx(old_auroc(s, lab), abs=1e-12)
        for new, old in zip(roc_curve(s, lab), old_roc_curve(s, lab)):
            assert new.shape == old.shape and np.allclose(new, old, rtol=0, atol=1e-12)


def test_auroc_is_the_known_value():
    # a separable pair of classes but for one swapped pair: 24 of 25 pairs ordered -> 0.96
    neg, pos = [0.1, 0.2, 0.3, 0.4, 0.65], [0.6, 0.7, 0.8, 0.9, 1.0]
    assert auroc(neg + pos, [0] * 5 + [1] * 5) == pytest.approx(24 / 25, abs=1e-12)


@pytest.mark.parametrize("dims", [2, 16])
def test_knn_probe_equals_the_brute_force_version(mnist, dims):
    train, test = mnist
    # codes: a fixed random projection of the pixels (2-D like ae_k2's, or 16-D)
    proj = torch.randn(784, dims, generator=torch.Generator().manual_seed(dims))
    xtr = train.float_images(slice(0, 20_000)).flatten(1) @ proj
    xte = test.float_images(slice(0, 2000)).flatten(1) @ proj
    ytr, yte = train.labels[:20_000], test.labels[:2000]
    new = knn_accuracy(xtr, ytr, xte, yte, k=5)
    # tolerance: one test digit in 2,000 (a tie in distance may pick another equally near
    # neighbour); on these codes the two agree exactly
    assert new == pytest.approx(old_knn_accuracy(xtr, ytr, xte, yte, k=5), abs=1 / 2000)


def test_logistic_probe_is_within_a_point_and_a_half_of_the_torch_version(mnist):
    train, test = mnist
    xtr = train.float_images(slice(0, 3000)).flatten(1)  # (3000, 784) raw pixels
    xte = test.float_images(slice(0, 1000)).flatten(1)
    ytr, yte = train.labels[:3000], test.labels[:1000]
    for epochs in (20, 60):
        new = logistic_accuracy(xtr, ytr, xte, yte, epochs=epochs)
        old = old_logistic_accuracy(xtr, ytr, xte, yte, epochs=epochs)
        assert abs(new - old) <= 0.015, (epochs, new, old)


@pytest.mark.parametrize("b, cols, gap, fill", [(10, 4, 0, 1.0), (16, 4, 2, 0.5), (1, 3, 1, 1.0),
                                                (7, 7, 3, 0.0), (400, 20, 0, 1.0), (5, 9, 2, 1.0)])
def test_make_grid_tiles_equal_the_loop(b, cols, gap, fill):
    x = torch.rand(b, 1, 28, 28, generator=torch.Generator().manual_seed(b)) * 1.4 - 0.2
    new, old = tile(x, cols, gap, fill), old_tile(x, cols, gap, fill)
    assert new.dtype == old.dtype and new.shape == old.shape
    assert np.array_equal(new, old)


def _scribbles(n: int):
    rng = np.random.default_rng(3)
    for _ in range(n):
        w, h = (int(v) for v in rng.integers(30, 400, 2))
        im = Image.new("L", (w, h), int(rng.integers(180, 256)))
        d = ImageDraw.Draw(im)
        for _ in range(3):
            pts = [(int(rng.integers(0, w)), int(rng.integers(0, h))) for _ in range(3)]
            d.line(pts, fill=int(rng.integers(0, 60)), width=int(rng.integers(1, 12)))
        buf = io.BytesIO()
        im.save(buf, "PNG")
        yield buf.getvalue()


def test_transforms_v2_geometric_steps_equal_the_numpy_pil_code():
    for data in _scribbles(30):
        out = preprocess.preprocess_image(data)
        steps = dict(out.steps)
        crop, digit = steps["cropped to ink"], steps["scaled to 20 px"]
        assert np.array_equal(digit, old_scale_to_box(crop))
        assert np.array_equal(out.image[0].numpy(), old_centre(digit))


def test_our_ssim_equals_torchmetrics_on_the_valid_region(mnist):
    tm = pytest.importorskip("torchmetrics.functional.image")
    _, test = mnist
    x = test.float_images(slice(0, 300)).double()
    y = (x + 0.2 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0),
                               dtype=torch.float64)).clamp(0, 1)
    _, full = tm.structural_similarity_index_measure(y, x, data_range=1.0, reduction="none",
                                                     return_full_image=True)  # (B, 1, 28, 28)
    valid = full[..., 5:-5, 5:-5].reshape(x.shape[0], -1).mean(1)  # the 18x18 unpadded part
    assert torch.allclose(ssim(y, x), valid, rtol=0, atol=1e-9)


def test_the_libraries_stay_out_of_start_up():
    """Importing the core modules the pages use (and the app's shared UI modules) loads neither
    scikit-learn nor torchvision: they are imported on first use, so the cold start does not grow."""
    import subprocess
    import sys

    code = ("import sys; import aecore.metrics, aecore.latent, aecore.preprocess, aecore.features, "
            "aecore.anomaly, aecore.evaluate, aecore.jobs; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'torchvision', "
            "'scipy', 'torchmetrics'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
