"""A user's own image set: a zip of images, flat or one folder per class (torchvision's
``ImageFolder`` convention), read into memory, resized to a square side of 28, 32 or 64, and
kept in the model library as one safetensors file (two uint8/int64 tensors and a JSON card).

Hostile zips are refused with a message and leave nothing behind: nothing is ever extracted to
disk (members are read into memory, never opened by name), and before any member is read the
zip's entry count, total uncompressed size, per-entry compression ratio and names (``..``,
absolute paths, drive letters) are checked. Each image's pixel count is checked before it is
decoded. Non-images are skipped and counted; CMYK, 16-bit, palette, alpha and animated images
(first frame) are converted; EXIF rotation is applied.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np

from .errors import DatasetError

SIDES = (28, 32, 64)
MAX_ZIP_BYTES = 200 * 2**20          # the upload itself
MAX_ENTRIES = 20_000                 # members of any kind, counted before reading
MAX_TOTAL = 1024 * 2**20             # declared uncompressed bytes of every member together
MAX_RATIO = 200                      # a member that inflates more than this is a bomb
MAX_IMAGES = 20_000
MAX_PIXELS = 40_000_000              # one image's width * height, checked before decoding
MIN_IMAGES = 10
MAX_CLASSES = 100
TEST_EVERY = 6                       # every 6th image of a class is held out for the test split
SKIP_PREFIXES = ("__MACOSX/", ".")


class ImportRefused(DatasetError):
    """The zip cannot be used; the message says why, fit for a user."""


@dataclass
class ImageSet:
    """An imported set: uint8 images (N, C, S, S), labels (N,), class names (None: flat zip)."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...] | None
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(v) for v in self.images.shape[1:])  # type: ignore[return-value]

    @property
    def digest(self) -> str:
        """SHA-256 of the pixels, labels and class names: the set's public name is made from
        it, never from its library id (a secret)."""
        h = hashlib.sha256(self.images.tobytes())
        h.update(self.labels.tobytes())
        h.update(json.dumps(self.classes).encode())
        return h.hexdigest()

    @property
    def dataset_name(self) -> str:
        """Its name in :data:`aecore.datasets.DATASETS` and in the cards of models trained on it."""
        return f"user-{self.digest[:16]}"


def _unsafe(name: str) -> bool:
    p = PurePosixPath(name.replace("\\", "/"))
    return (name.startswith(("/", "\\")) or ":" in p.parts[0] if p.parts else True) or ".." in p.parts


def _check_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The file members worth reading, after the zip-wide checks (nothing read yet)."""
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ImportRefused(f"the zip holds {len(infos):,} entries; at most {MAX_ENTRIES:,} are "
                            "accepted (pack fewer, larger images)")
    bad = [i for i in infos if _unsafe(i.filename)]
    if bad:
        raise ImportRefused("the zip holds names that point outside it (\"..\" or an absolute "
                            "path); it was refused and nothing was read")
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL:
        raise ImportRefused(f"the zip would inflate to {total / 2**20:,.0f} MB; at most "
                            f"{MAX_TOTAL // 2**20:,} MB is accepted")
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise ImportRefused("the zip holds a file that inflates over "
                                f"{MAX_RATIO} times (a zip bomb); it was refused")
    return [i for i in infos if not i.is_dir()
            and not any(part.startswith(SKIP_PREFIXES) for part in i.filename.split("/"))]


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    # read at most the declared size + 1: a member whose header lies about its size is caught
    with zf.open(info) as f:
        raw = f.read(info.file_size + 1)
    if len(raw) > info.file_size:
        raise ImportRefused(f"the zip's entry sizes are false (a crafted zip); it was refused")
    return raw


def _to_array(raw: bytes, side: int, colour: bool | None) -> np.ndarray | None:
    """One image's bytes as (C, side, side) uint8 (C = 3 if ``colour``, 1 if not, its own if
    None), centre-cropped to a square and resized; None if it is not a readable image."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    try:
        with Image.open(io.BytesIO(raw)) as im:
            if im.width * im.height > MAX_PIXELS:
                return None
            im.seek(0)  # an animated image: its first frame
            if im.format == "JPEG":
                im.draft(None, (side * 2, side * 2))  # decode a big JPEG at a fraction of its size
            im = ImageOps.exif_transpose(im)
            im = _plain_mode(im)
            short = min(im.size)
            left, top = (im.width - short) // 2, (im.height - short) // 2
            im = im.crop((left, top, left + short, top + short))
            im = im.resize((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
            want = ("RGB" if im.mode == "RGB" else "L") if colour is None else \
                ("RGB" if colour else "L")
            arr = np.asarray(im.convert(want))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError, EOFError):
        return None
    return np.ascontiguousarray(arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1))


def _plain_mode(im):
    """``im`` as 8-bit L or RGB: 16-bit and 32-bit grey scaled down, CMYK/YCbCr/palette
    converted, alpha composited over white."""
    from PIL import Image
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = a.max() if a.max() > 255 else 255.0
        return Image.fromarray((np.clip(a, 0, None) * (255.0 / top)).astype(np.uint8), "L")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    if im.mode in ("L", "RGB"):
        return im
    if im.mode == "1":
        return im.convert("L")
    return im.convert("RGB")  # CMYK, YCbCr, LAB, HSV, P


def _class_of(parts: tuple[str, ...]) -> str | None:
    return parts[-2] if len(parts) >= 2 else None


def _common_root(names: list[tuple[str, ...]]) -> int:
    """How many leading folders every member shares (a zip of "myset/cats/a.jpg" has one)."""
    n = 0
    while names and all(len(p) > n + 1 for p in names) and len({p[n] for p in names}) == 1:
        n += 1
    return n


def read_zip(data: bytes, side: int = 28, colour: str = "auto", name: str = "my images"
             ) -> ImageSet:
    """An :class:`ImageSet` from a zip's bytes; :class:`ImportRefused` says why one cannot be.

    ``colour``: "grey", "colour", or "auto" (colour if any image is). Images in one folder
    level below the zip's common root are labelled by that folder (the class); a flat zip has
    no classes.
    """
    if side not in SIDES:
        raise ImportRefused(f"the side must be one of {', '.join(map(str, SIDES))}, got {side!r}")
    if colour not in ("auto", "grey", "colour"):
        raise ImportRefused(f"colour must be auto, grey or colour, got {colour!r}")
    if len(data) > MAX_ZIP_BYTES:
        raise ImportRefused(f"the zip is {len(data) / 2**20:,.0f} MB; at most "
                            f"{MAX_ZIP_BYTES // 2**20} MB is accepted")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ImportRefused(f"this is not a readable zip file ({exc})") from exc
    with zf:
        members = _check_members(zf)
        return _decode_all(zf, members, side, colour, name)


def _decode_all(zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], side: int, colour: str,
                name: str) -> ImageSet:
    parts = [tuple(p for p in m.filename.replace("\\", "/").split("/") if p) for m in members]
    root = _common_root(parts)
    want = None if colour == "auto" else colour == "colour"
    arrays, folders, skipped = [], [], {"not an image": 0, "too many pixels or unreadable": 0}
    for info, p in zip(members, parts):
        if len(arrays) >= MAX_IMAGES:
            raise ImportRefused(f"the zip holds over {MAX_IMAGES:,} images; at most "
                                f"{MAX_IMAGES:,} are accepted")
        try:
            raw = _read(zf, info)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise ImportRefused(f"the zip is damaged or encrypted ({exc})") from exc
        arr = _to_array(raw, side, want)
        if arr is None:
            looks = info.filename.lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".bmp",
                                                    ".tif", ".tiff", ".webp"))
            skipped["too many pixels or unreadable" if looks else "not an image"] += 1
            continue
        arrays.append(arr)
        folders.append(_class_of(p[root:]))
    if len(arrays) < MIN_IMAGES:
        why = "; ".join(f"{n} skipped: {k}" for k, n in skipped.items() if n)
        raise ImportRefused(f"the zip holds {len(arrays)} readable image(s); at least "
                            f"{MIN_IMAGES} are needed" + (f" ({why})" if why else ""))
    images = _same_channels(arrays, want)
    labels, classes = _labels(folders)
    return ImageSet(name, images, labels, classes, {k: v for k, v in skipped.items() if v})


def _same_channels(arrays: list[np.ndarray], want: bool | None) -> np.ndarray:
    """Stack (C, S, S) arrays, widening grey ones to RGB where "auto" met any colour image."""
    if want is None and any(a.shape[0] == 3 for a in arrays):
        arrays = [np.repeat(a, 3, axis=0) if a.shape[0] == 1 else a for a in arrays]
    return np.ascontiguousarray(np.stack(arrays))


def _labels(folders: list[str | None]) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Labels from class folders (sorted names, as ImageFolder does); none for a flat zip or
    a single folder."""
    names = sorted({f for f in folders if f is not None})
    if len(names) < 2 or any(f is None for f in folders):
        return np.zeros(len(folders), np.int64), None
    if len(names) > MAX_CLASSES:
        raise ImportRefused(f"the zip has {len(names)} class folders; at most {MAX_CLASSES}")
    index = {n: i for i, n in enumerate(names)}
    return np.array([index[f] for f in folders], np.int64), tuple(names)


# the library's file: safetensors, two tensors, the card in its metadata


def to_bytes(s: ImageSet) -> bytes:
    """The set as one safetensors file (``images``, ``labels``; the card in its metadata)."""
    from safetensors.numpy import save
    return save({"images": s.images, "labels": s.labels}, metadata={"card": json.dumps(card_of(s))})


def card_of(s: ImageSet) -> dict:
    """The library card of a set: what My models lists without reading the pixels."""
    return {"format_version": 1, "model": "imageset", "kind": "imageset", "title": s.name,
            "dataset": s.dataset_name, "shape": list(s.shape), "n": int(len(s.labels)),
            "classes": list(s.classes) if s.classes else None, "skipped": s.skipped,
            "config": {"latent_dim": 0}}


def from_bytes(data: bytes) -> ImageSet:
    """An :class:`ImageSet` from :func:`to_bytes`' output; :class:`DatasetError` if damaged."""
    from safetensors import SafetensorError
    from safetensors.numpy import load
    try:
        t = load(data)
        n = int.from_bytes(data[:8], "little")
        card = json.loads(json.loads(data[8:8 + n])["__metadata__"]["card"])
        images, labels = t["images"], t["labels"]
    except (SafetensorError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"the saved image set is damaged ({exc})") from exc
    ok = (images.dtype == np.uint8 and images.ndim == 4 and images.shape[1] in (1, 3)
          and images.shape[2] == images.shape[3] and images.shape[2] in SIDES
          and labels.shape == (images.shape[0],))
    if not ok:
        raise DatasetError("the saved image set is damaged (its tensors have the wrong shapes)")
    classes = tuple(card["classes"]) if card.get("classes") else None
    return ImageSet(str(card.get("title", "my images")), images, labels.astype(np.int64), classes,
                    dict(card.get("skipped") or {}))


def register(s: ImageSet):
    """Add the set to :data:`aecore.datasets.DATASETS` under :attr:`ImageSet.dataset_name`
    (idempotent); returns its :class:`aecore.datasets.DataSet`. Its test split is every
    :data:`TEST_EVERY`-th image of each class."""
    from . import data
    from .datasets import DATASETS, DataSet, register_dataset
    name = s.dataset_name
    if name in DATASETS:
        return DATASETS[name]
    test = np.zeros(len(s.labels), bool)
    for c in np.unique(s.labels):
        idx = np.flatnonzero(s.labels == c)
        test[idx[TEST_EVERY - 1::TEST_EVERY] if len(idx) >= TEST_EVERY else idx[-1:]] = True

    def load(split: str) -> data.Split:
        keep = test if split == "test" else ~test
        images = s.images[keep]
        return data.to_split(images[:, 0] if images.shape[1] == 1 else images, s.labels[keep],
                             f"your image set {s.name!r}")

    grey = s.shape[0] == 1
    return register_dataset(DataSet(
        name=name, label=s.name, shape=s.shape, classes=s.classes, item="image",
        source="uploaded as a zip", licence="the uploader's", credit="the uploader", load=load,
        summary=f"{len(s.labels):,} {'grey' if grey else 'colour'} images, "
                f"{s.shape[1]}x{s.shape[2]}" + (f", {len(s.classes)} classes" if s.classes else "")))
