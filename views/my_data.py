"""My image sets: upload a zip of your own images, kept on this server for this browser beside
My models (same quotas), then train on it on the Train page and share it with a class by link."""
from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from aecore import imageset
from aecore.data import load_split
from aecore.errors import AecoreError
from aecore.store import StoreError
from ui import datasets, library, share, widgets

FLASH = "mds_flash"


def _tag(set_id: str) -> str:
    """A stand-in for a record id in widget keys (keys reach the page's HTML; ids must not)."""
    return hashlib.sha256(set_id.encode()).hexdigest()[:12]


def _import(up, side: int, colour: str, name: str) -> None:
    """Read the uploaded zip (in memory, nothing extracted) and keep it in the library."""
    try:
        s = imageset.read_zip(up.getvalue(), side=side, colour=colour, name=name)
        library.save_set(imageset.to_bytes(s), name)
    except (AecoreError, StoreError) as exc:
        st.session_state[FLASH] = ("error", f"The zip was not imported: {exc}")
        return
    skipped = ", ".join(f"{n} {why}" for why, n in s.skipped.items())
    classes = f"{len(s.classes)} classes" if s.classes else "no class folders (one class)"
    st.session_state[FLASH] = ("success", f"Imported {len(s.labels):,} images, "
                               f"{s.shape[1]}x{s.shape[2]} {'colour' if s.shape[0] == 3 else 'grey'}"
                               f", {classes}" + (f"; skipped: {skipped}" if skipped else "") + ".")


st.title("My image sets")
st.markdown(
    "Bring your own images: a **zip**, either flat or with **one folder per class** "
    "(`cats/1.jpg`, `dogs/7.png`, ...). Each image is cropped to a square and resized to the side "
    "you choose; grey or colour. The set is kept on this server for this browser, like My models "
    "(the same quota), appears in every page's **Data set** picker, and can be shared with a "
    "class by link.")

flash = st.session_state.pop(FLASH, None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])

up = st.file_uploader("Zip of images", type=["zip"], key="mds_zip")
c1, c2, c3 = st.columns(3)
side = c1.selectbox("Side (pixels)", imageset.SIDES, index=0, key="mds_side")
colour = c2.radio("Colour", ("auto", "grey", "colour"), horizontal=True, key="mds_colour",
                  help="auto: colour if any image is in colour")
name = c3.text_input("Name", max_chars=40, key="mds_name", placeholder="my images")
if st.button("Import", type="primary", key="mds_import", disabled=up is None):
    with st.spinner("Reading the images..."):
        _import(up, int(side), colour, name.strip() or "my images")
    st.rerun()

records = library.my_sets()
if library.store() is None:
    st.warning(f"The library is not available here: {library.problem()}")
    st.stop()
if not records:
    st.info("No image sets yet: upload a zip above.")
    st.stop()

st.subheader("Your image sets")
st.dataframe([{"Name": r.name, "Images": r.card.get("n"),
               "Shape": "x".join(map(str, r.card.get("shape") or [])),
               "Classes": ", ".join(r.card.get("classes") or []) or "(none)",
               "Shared": "yes" if r.share_id else ""} for r in records],
             hide_index=True, key="mds_table")
pick = st.selectbox("Image set", range(len(records)), format_func=lambda i: records[i].name,
                    key="mds_pick")
rec = records[pick]
tag = _tag(rec.id)
try:
    d = datasets.open_set(rec.id)
except (AecoreError, StoreError) as exc:
    st.error(f"This set could not be read: {exc}")
    st.stop()
train = load_split("train", d.name)
first = [int(np.flatnonzero(train.labels.numpy() == c)[0]) for c in range(len(d.classes or [0]))
         if (train.labels == c).any()][:8] or list(range(min(8, len(train))))
cols = st.columns(len(first))
for col, i in zip(cols, first):
    widgets.picture(train.float_images([i])[0].permute(1, 2, 0).numpy() if d.colour
                    else train.float_images([i])[0, 0].numpy(),
                    f"an image of class {d.class_name(int(train.labels[i]))}", width=96,
                    where=col, clamp=True)
    col.text(d.class_name(int(train.labels[i])))  # a folder name: shown as text
st.caption("Train on it: open **Train** and pick it as the data set.")
store = library.store()
if rec.share_id:
    link = f"{datasets.app_root()}/train?{datasets.SHARED_SET_PARAM}={rec.share_id}"
    share.copy_box(link, "Copy the image set's link")
    st.caption("Anyone with this link can train on this set (read-only); it opens on Train.")
    if st.button("Stop sharing", key=f"mds_unshare_{tag}"):
        store.unshare(library.owner(), rec.id)
        st.rerun()
elif st.button("Share with a link", key=f"mds_share_{tag}", type="primary"):
    store.share(library.owner(), rec.id)
    st.rerun()
if st.button("Delete this set", key=f"mds_delete_{tag}"):
    store.delete(library.owner(), rec.id)
    st.session_state[FLASH] = ("success", "Deleted.")
    st.rerun()
