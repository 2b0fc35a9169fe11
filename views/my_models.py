"""My models: every model this browser trained or uploaded, kept on the server.

A table of them (name, type, k, created, size, status); then one model to manage: rename,
delete, share with the class (a link and a QR code for the projector) or stop sharing.
"""
from __future__ import annotations

import hashlib
import io
import time
from urllib.parse import urlsplit

import segno
import streamlit as st

from aecore.store import MISSING, StoreError
from ui import catalog, library, share, widgets

STATUS_TEXT = {"done": "finished", "interrupted": "interrupted (best epoch kept)",
               "uploaded": "uploaded", MISSING: "file missing"}


def widget_tag(model_id: str) -> str:
    """A short stand-in for a model id in widget keys (keys reach the page's HTML; ids do not)."""
    return hashlib.sha256(model_id.encode()).hexdigest()[:12]


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


def _app_root() -> str:
    """``scheme://host[:port][/base path]`` of the app as this browser reached it ("" when
    unknown, making the link relative)."""
    parts = urlsplit(st.context.url or "")
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return f"{origin}/{base}" if base else origin


@st.cache_data(max_entries=64, show_spinner=False)
def qr_png(url: str) -> bytes:
    """The link as a QR code (PNG, medium error correction), big enough for a projector."""
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=10, border=2)
    return buf.getvalue()


def _act(fn, *args, ok: str) -> None:
    """Run a store action for this owner; a message either way, then a fresh run."""
    try:
        fn(library.owner(), *args)
        st.session_state["my_flash"] = ("success", ok)
    except StoreError as exc:
        st.session_state["my_flash"] = ("error", catalog.plain(exc))


st.title("My models")
st.markdown("Every model you train or upload here is kept on this server for this browser: "
            "it is still here after a refresh, in a new tab, or tomorrow. Other browsers do not "
            "see it unless you share it.")
store = library.store()
if store is None:
    st.error(library.problem())
    st.stop()

flash = st.session_state.pop("my_flash", None)
if flash:
    getattr(st, flash[0])(flash[1])

records = library.mine()
n, used = store.usage(library.owner())
lim = store.limits
st.caption(f"{n} of {lim.max_models} models, {_size(used)} of {_size(lim.max_bytes)} used.")
if not records:
    st.info("No models yet. Train one on the **Train** page (or upload a .safetensors file "
            "there): it appears here when it finishes, and in every page's model picker.")
    st.page_link("views/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()

st.dataframe(
    [{"Name": r.name, "Type": r.type, "k": r.k,
      "Created": time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)),
      "Size": _size(r.size), "Status": STATUS_TEXT.get(r.status, r.status),
      "Shared": "yes" if r.share_id else ""} for r in records],
    hide_index=True, width="stretch")

by_id = {r.id: r for r in records}  # ids stay on the server: the browser gets the labels
pick = st.selectbox("Manage", list(by_id), key="my_pick",
                    format_func=lambda i: f"{by_id[i].name} ({by_id[i].type}, k={by_id[i].k}, "
                                          f"{STATUS_TEXT.get(by_id[i].status, by_id[i].status)})")
rec = by_id[pick]
tag = widget_tag(rec.id)
if rec.status == MISSING:
    st.warning("This model's file is missing on the server, so it cannot be used. Delete it to "
               "free its place.")
else:
    try:
        library.load(rec.id)  # cached: a damaged file is reported here, never a traceback
    except StoreError as exc:
        st.warning(f"This model cannot be used: {catalog.plain(exc)}")

c1, c2 = st.columns(2)
with c1:
    with st.form("my_rename", border=False):
        new_name = st.text_input("Name", value=rec.name, max_chars=80, key=f"my_name_{tag}")
        if st.form_submit_button("Rename"):
            _act(store.rename, rec.id, new_name, ok=f"Renamed to {catalog.plain(new_name)}.")
            st.rerun()
with c2:
    sure = st.checkbox("Yes, delete this model for good", key=f"my_sure_{tag}")
    if st.button("Delete", key="my_delete", disabled=not sure, type="secondary"):
        _act(store.delete, rec.id, ok=f"Deleted {catalog.plain(rec.name)}.")
        st.session_state.pop("my_pick", None)
        st.rerun()

st.subheader("Share with the class")
if rec.share_id:
    link = library.share_url(_app_root(), rec.share_id)
    st.markdown("Anyone with this link opens the model **read-only** on every page; "
                "they cannot change or delete it. Stop sharing to revoke the link.")
    q1, q2 = st.columns([1, 2])
    with q1:
        widgets.picture(qr_png(link), "QR code of the model's share link", caption="Scan to open",
                        width=260)
    with q2:
        share.copy_box(link, "Copy the model's link")
        st.download_button("Download the QR code (PNG)", qr_png(link), "model-link-qr.png",
                           mime="image/png", key="my_qr_dl")
        if st.button("Stop sharing", key="my_unshare"):
            _act(store.unshare, rec.id, ok="The link no longer works.")
            st.rerun()
elif rec.status != MISSING:
    st.markdown("Make a link (and a QR code for the projector) that opens this model read-only.")
    if st.button("Share", key="my_share", type="primary"):
        _act(store.share, rec.id, ok="Shared: give the class the link or the QR code below.")
        st.rerun()

shared = st.session_state.get(catalog.SHARED_KEY)
if shared:
    st.caption("You also have a model open from a shared link; it appears as '(shared)' in "
               "every page's model picker.")
