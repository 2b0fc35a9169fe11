"""A user's own image set from a zip: class folders or flat, grey or colour, any common image
mode, resized to the chosen side; and the hostile-zip suite: every hostile zip is refused with a
message, raises nothing else, and leaves no file behind (nothing is ever extracted)."""
from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from aecore import data, imageset
from aecore.datasets import DATASETS, unregister_dataset
from aecore.imageset import ImportRefused, read_zip


def png(arr: np.ndarray, mode: str | None = None, fmt: str = "PNG", **kw) -> bytes:
    b = io.BytesIO()
    Image.fromarray(arr, mode).save(b, fmt, **kw)
    return b.getvalue()


def make_zip(files: dict[str, bytes]) -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, raw in files.items():
            z.writestr(name, raw)
    return b.getvalue()


def class_zip(n: int = 12, size=(40, 30), colour=True) -> bytes:
    rng = np.random.default_rng(0)
    files = {}
    for c, tint in (("apples", (200, 30, 30)), ("leaves", (30, 200, 30))):
        for i in range(n):
            arr = np.zeros((size[1], size[0], 3), np.uint8) + np.array(tint, np.uint8)
            arr = (arr * rng.uniform(0.6, 1.0)).astype(np.uint8)
            files[f"fruit/{c}/{i}.png"] = png(arr if colour else arr[..., 0])
    return make_zip(files)


def test_class_folders_become_labelled_colour_images_of_the_chosen_side():
    s = read_zip(class_zip() + b"", side=32, name="Fruit")
    assert s.shape == (3, 32, 32) and s.classes == ("apples", "leaves")
    assert np.bincount(s.labels).tolist() == [12, 12]
    red = s.images[s.labels == 0].astype(int)
    assert (red[:, 0] > red[:, 1]).all()  # apples stay red: channels kept in RGB order
    for side in (28, 64):
        assert read_zip(class_zip(), side=side, colour="grey").shape == (1, side, side)


def test_a_flat_zip_has_no_classes_and_non_images_are_skipped_and_counted():
    rng = np.random.default_rng(1)
    files = {f"{i}.png": png((rng.random((20, 20)) * 255).astype(np.uint8)) for i in range(11)}
    files.update({"notes.txt": b"hello", "fake.png": b"not really a png", "__MACOSX/._0.png": b"x"})
    s = read_zip(make_zip(files), side=28)
    assert s.classes is None and s.shape == (1, 28, 28) and len(s.labels) == 11
    assert s.skipped == {"not an image": 1, "too many pixels or unreadable": 1}


def test_awkward_but_valid_images_are_converted():
    rng = np.random.default_rng(2)
    base = (rng.random((24, 36, 3)) * 255).astype(np.uint8)
    files = {
        "a/rgb.png": png(base),
        "a/cmyk.jpg": _cmyk_jpeg(base),
        "a/grey16.png": png((rng.random((24, 36)) * 65535).astype(np.uint16)),
        "a/palette.gif": _animated_gif(),
        "a/rgba.png": png(np.dstack([base, np.full((24, 36), 128, np.uint8)]), "RGBA"),
        "b/rotated.jpg": _exif_rotated_jpeg(),
        "b/mono.png": png((rng.random((30, 30)) > 0.5).astype(np.uint8) * 255),
        "b/small.bmp": png(base[:9, :9], fmt="BMP"),
        "b/tiff.tif": png(base, fmt="TIFF"),
        "b/webp.webp": png(base, fmt="WEBP"),
    }
    s = read_zip(make_zip(files), side=32)
    assert len(s.labels) == 10 and s.shape == (3, 32, 32) and not s.skipped
    # the EXIF-rotated photo: a tall image (bright top half) stored sideways
    rot = s.images[list(files).index("b/rotated.jpg")]
    assert rot[:, :12].mean() > rot[:, 20:].mean() + 100


def _cmyk_jpeg(rgb: np.ndarray) -> bytes:
    b = io.BytesIO()
    Image.fromarray(rgb).convert("CMYK").save(b, "JPEG")
    return b.getvalue()


def _animated_gif() -> bytes:
    frames = [Image.new("P", (20, 20), c) for c in (1, 50, 200)]
    b = io.BytesIO()
    frames[0].save(b, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    return b.getvalue()


def _exif_rotated_jpeg() -> bytes:
    # stored 40 wide x 30 tall with its bright band on the left; orientation 6 (rotate 90 CW
    # to view) makes it 30 wide x 40 tall with the band on top
    arr = np.zeros((30, 40, 3), np.uint8)
    arr[:, :20] = 255
    im = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6
    b = io.BytesIO()
    im.save(b, "JPEG", exif=exif.tobytes())
    return b.getvalue()


# the hostile zips: each a (name, bytes) pair; make_hostile is shared with benchmarks/datasets.py


def _set_declared_size(raw: bytes, name: str, size: int) -> bytes:
    """``raw`` with the central directory's uncompressed size of member ``name`` set to ``size``."""
    out = bytearray(raw)
    pos = out.find(name.encode(), out.find(b"PK\x01\x02"))
    start = out.rfind(b"PK\x01\x02", 0, pos)
    struct.pack_into("<I", out, start + 24, size)  # central directory: uncompressed size at +24
    return bytes(out)


def _bomb() -> bytes:
    # a member that declares 4 GB: refused from its declared size, before a byte is inflated
    tiny = png(np.zeros((8, 8), np.uint8))
    raw = make_zip({f"{i}.png": tiny for i in range(12)} | {"zeros.png": bytes(2**20)})
    return _set_declared_size(raw, "zeros.png", 0xFFFFFFF0)


def _ratio_bomb() -> bytes:
    return make_zip({"a.png": bytes(20 * 2**20)})  # 20 MB of zeros: inflates 1000-fold


def _lying_sizes() -> bytes:
    # a member whose central directory says 10 bytes but holds 1 MB: read at most 11 bytes
    raw = make_zip({f"{i}.png": png(np.zeros((8, 8), np.uint8)) for i in range(10)}
                   | {"big.png": bytes(2**20)})
    return _set_declared_size(raw, "big.png", 10)


def make_hostile() -> list[tuple[str, bytes]]:
    """Every hostile zip of the suite, by what it tries."""
    tiny = png(np.zeros((8, 8), np.uint8))
    return [
        ("zip bomb (a 4 GB member)", _bomb()),
        ("zip bomb (1000x ratio)", _ratio_bomb()),
        ("../ names", make_zip({f"../../evil{i}.png": tiny for i in range(12)})),
        ("absolute names", make_zip({f"/tmp/evil{i}.png": tiny for i in range(12)})),
        ("drive names", make_zip({f"C:\\evil{i}.png": tiny for i in range(12)})),
        ("25,000 tiny files", make_zip({f"{i}.png": tiny for i in range(25_000)})),
        ("no images", make_zip({f"{i}.txt": b"text" for i in range(30)})),
        ("not a zip", b"PK\x03\x04 this is not really a zip"),
        ("truncated zip", class_zip()[:3000]),
        ("lying sizes", _lying_sizes()),
        ("pixel bomb", make_zip(dict.fromkeys((f"{i}.png" for i in range(12)), _pixel_bomb()))),
    ]


def _pixel_bomb() -> bytes:
    # a valid 7,000 x 7,000 PNG of zeros (49 M pixels) in a few tens of kB
    raw = zlib.compress(b"".join(b"\x00" + bytes(7_000) for _ in range(7_000)), 1)
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 7_000, 7_000, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


@pytest.mark.parametrize("what,raw", make_hostile(), ids=lambda v: v if isinstance(v, str) else "")
def test_hostile_zips_are_refused_with_a_message_and_leave_nothing(what, raw, tmp_path,
                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = set(os.listdir(tmp_path)), set(os.listdir("/tmp"))
    with pytest.raises(ImportRefused) as err:
        read_zip(raw, side=28)
    assert len(str(err.value)) > 20
    assert (set(os.listdir(tmp_path)), set(os.listdir("/tmp")) - before[1]) == (before[0], set())


def test_a_set_round_trips_through_its_file_and_trains_by_name():
    s = read_zip(class_zip(), side=28, colour="grey", name="Fruit")
    back = imageset.from_bytes(imageset.to_bytes(s))
    assert back.digest == s.digest and back.classes == s.classes and back.name == "Fruit"
    d = imageset.register(back)
    try:
        assert DATASETS[s.dataset_name] is d and d.class_name(1) == "leaves"
        train, test = data.load_split("train", d.name), data.load_split("test", d.name)
        assert len(train) + len(test) == 24 and set(test.labels.tolist()) == {0, 1}
        from aecore.config import AEConfig, TrainConfig
        from aecore.models import build_model
        from aecore.train import train as run
        model = build_model(AEConfig(latent_dim=2, hidden=(16,), shape=d.shape))
        hist = run(model, TrainConfig(epochs=1, dataset=d.name, batch_size=8))
        assert len(hist.epochs) == 1
    finally:
        unregister_dataset(s.dataset_name)
    with pytest.raises(Exception, match="damaged"):
        imageset.from_bytes(b"\x00" * 64)


def test_the_library_keeps_sets_under_the_same_quota_and_share_links(tmp_path):
    from aecore.store import Limits, sqlite_store
    from aecore.store.base import QuotaExceeded, new_id
    store = sqlite_store(tmp_path / "lib", Limits(max_models=1, max_bytes=10**8))
    owner = new_id()
    raw = imageset.to_bytes(read_zip(class_zip(), side=28, name="Fruit"))
    rec = store.save_dataset(owner, raw, name="Fruit")
    assert rec.type == "imageset" and rec.card["classes"] == ["apples", "leaves"]
    with pytest.raises(QuotaExceeded):
        store.save_dataset(owner, raw, name="again")
    share = store.share(owner, rec.id)
    shared = store.shared_record(share)
    assert imageset.from_bytes(store.dataset_bytes(shared)).classes == ("apples", "leaves")
    with pytest.raises(Exception, match="image set, not a model"):
        store.load(owner, rec.id)
