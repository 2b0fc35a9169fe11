"""The photo restorer's core: corruptions, tiles without seams, metrics on whole photos, colour."""
import pytest
import torch

from aecore import photo
from aecore.errors import ConfigError
from aecore.metrics import ssim
from aecore.models import build_model
from aecore.models.photo import PhotoConfig
from aecore.tiles import Cancelled, run_tiled, tile_starts


@pytest.fixture(scope="module")
def chelsea():
    return photo.read_photo("chelsea.png")[:, :200, :260]  # (3, 200, 260), held out


def test_bundled_photos_are_split_and_read_in_colour():
    assert "chelsea.png" in photo.photo_names("heldout")
    assert not set(photo.photo_names("train")) & set(photo.photo_names("heldout"))
    img = photo.read_photo("camera.png")  # grey: three equal channels
    assert img.shape[0] == 3 and torch.equal(img[0], img[2])


@pytest.mark.parametrize("kind", photo.NOISES)
def test_each_noise_kind_corrupts_in_its_own_way(chelsea, kind):
    lo, hi, default = photo.LEVELS[kind]
    c = photo.corrupt(chelsea, kind, default, torch.Generator().manual_seed(0))
    assert c.image.shape == chelsea.shape and 0 <= c.image.min() and c.image.max() <= 1
    diff = (c.image - chelsea).abs()
    assert 15 < photo.photo_psnr(c.image, chelsea) < 40  # visibly damaged, still a photo
    if kind == "gaussian":
        assert c.sigma == pytest.approx(default / 255) and abs(float((c.image - chelsea).std()) - c.sigma) < 0.02
    if kind == "salt_pepper":  # changed pixels are black or white, in all channels at once
        changed = diff.amax(0) > 0
        vals = c.image[:, changed]
        assert ((vals == 0).all(0) | (vals == 1).all(0)).all()
        assert abs(changed.float().mean().item() - default) < 0.02
    if kind == "jpeg":  # 8x8 blocks: errors jump more across block borders than inside them
        grey = c.image.mean(0) - chelsea.mean(0)
        d = (grey[:, 1:] - grey[:, :-1]).abs().mean(0)  # (W-1,) column jumps
        assert d[7::8].mean() > 1.2 * d.mean()
    if kind == "scratches":
        assert c.mask.shape == (1, *chelsea.shape[1:])
        assert abs(c.mask.mean().item() - default) < 0.05
        assert torch.equal(c.image * c.mask, torch.zeros_like(c.image))  # holes are black
        assert (diff.amax(0) > 0).logical_and(c.mask[0] == 0).sum() == 0
    else:
        assert not c.mask.any()
    with pytest.raises(ConfigError):
        photo.corrupt(chelsea, kind, hi * 2)


def test_tiles_agree_with_the_whole_image_and_leave_no_seam(chelsea):
    model = build_model(PhotoConfig(task="denoise", width=8, latent_dim=8), seed=1)
    c = photo.corrupt(chelsea, "gaussian", 25, torch.Generator().manual_seed(0))
    x = photo.model_input(c)
    with torch.inference_mode():
        whole = model.reconstruct(x)[0]
        tiled = run_tiled(model.reconstruct, x, tile=96, overlap=24)[0]
    inner = (slice(None), slice(8, -8), slice(8, -8))
    diff = (tiled - whole)[inner].abs()
    assert diff.mean() < 2e-3 and diff.max() < 0.05
    # at every tile border, the jump between neighbouring pixels is no larger than the whole
    # image's jump there (the blend adds no edge)
    for i in tile_starts(200, 96, 24)[1:]:
        for edge in (i, i + 95):
            if edge + 1 < 200:
                jump_t = (tiled[:, edge + 1] - tiled[:, edge]).abs().mean()
                jump_w = (whole[:, edge + 1] - whole[:, edge]).abs().mean()
                assert jump_t < jump_w + 2e-3


def test_tiles_report_progress_and_cancel():
    x = torch.rand(1, 1, 100, 150)
    seen = []
    out = run_tiled(lambda t: 2 * t, x, tile=64, overlap=16, on_progress=lambda d, n: seen.append((d, n)))
    assert torch.allclose(out, 2 * x, atol=1e-6)  # the blend of a pointwise map is that map
    assert seen[-1][0] == seen[-1][1] == len(seen) == 6
    with pytest.raises(Cancelled):
        run_tiled(lambda t: t, x, tile=64, overlap=16, should_stop=lambda: True)


def test_photo_ssim_equals_the_whole_image_ssim(chelsea):
    noisy = photo.corrupt(chelsea, "gaussian", 25, torch.Generator().manual_seed(3)).image
    whole = float(ssim(noisy[None], chelsea[None]))
    assert photo.photo_ssim(noisy, chelsea, tile=64) == pytest.approx(whole, abs=1e-6)


def test_colour_round_trip(chelsea):
    lab = photo.rgb_to_lab(chelsea[None])
    back = photo.lab_to_rgb(lab)[0]
    assert (back - chelsea).abs().max() < 2e-3
    grey = photo.greyscale(chelsea)
    assert photo.colourfulness(grey) < 0.01 < photo.colourfulness(chelsea)
    from skimage.color import rgb2lab
    ref = rgb2lab(chelsea.permute(1, 2, 0).numpy())
    assert abs(lab[0, 0].numpy() * 100 - ref[..., 0]).max() < 0.05


def test_fit_side_scales_big_photos_down_and_says_so():
    big = torch.rand(3, 1500, 2000)
    out, note = photo.fit_side(big)
    assert out.shape == (3, 768, 1024) and "1024" in note
    small, none = photo.fit_side(big[:, :300, :400])
    assert small.shape == (3, 300, 400) and none is None


def test_photo_model_takes_any_size_and_trains_through_the_one_loop():
    from aecore.config import TrainConfig
    from aecore.train import train, prepare_data
    model = build_model(PhotoConfig(task="denoise", width=8, latent_dim=8))
    x = torch.rand(1, 5, 37, 51)  # sides not divisible by 4
    assert model.reconstruct(x).shape == (1, 3, 37, 51)
    cfg = TrainConfig(epochs=4, batch_size=8, subset=32, val_size=16, dataset="photos",
                      loss="mse", lr=3e-3)
    data = prepare_data(model, cfg)
    assert data.x.shape == (32, 3, photo.PATCH, photo.PATCH) and data.x.dtype == torch.uint8
    hist = train(model, cfg, data, device="cpu")
    val = hist.curve("val_loss")
    assert len(val) == 4 and val[-1] < val[0] * 0.95  # it learns


def test_synthetic_pages_are_dirty_twins_and_unseen_ones_differ():
    from aecore.documents import UNSEEN_SEED, median_otsu, page_pairs, page_patches
    dirt, clean = page_pairs(2, 0, 96, 96)
    again, _ = page_pairs(2, 0, 96, 96)
    assert torch.equal(dirt, again)  # seeded
    assert (clean < 0.5).float().mean() > 0.02  # there is text
    assert 10 < float(photo.psnr(dirt, clean).mean()) < 25  # and dirt on it
    unseen, _ = page_pairs(2, UNSEEN_SEED, 96, 96)
    assert not torch.equal(unseen, dirt)
    base = median_otsu(dirt[0])
    assert set(base.unique().tolist()) <= {0.0, 1.0}
    assert page_patches(20, 0).shape == (20, 2, 48, 48)


def test_the_shipped_document_model_beats_median_and_otsu_by_3_db():
    from aecore.documents import benchmark_pages
    from aecore.zoo import load_zoo_model
    model, card = load_zoo_model("photo_document")
    got = benchmark_pages(model, n=2)
    assert got["ours"] >= got["baseline"] + 3 and got["ours"] > got["input"]
