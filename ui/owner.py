"""Who "my" models belong to: one unguessable owner token per browser, kept in a cookie.

The server sets the cookie ``ae_owner`` on a browser's first response (``server.OwnerCookie``:
HttpOnly, SameSite=Lax, Secure over https), so no page script ever reads or writes the token.
Each session reads it from its websocket handshake (``st.context.cookies``). Without one (a
browser that refuses cookies, ``streamlit run app.py``, AppTest) the session gets a token of its
own: its models are kept, but only this session finds them again. The token is a bearer secret:
it is never shown, logged or put in a URL.

Each run also records that the owner has a session (:func:`aecore.presence.seen`): trainings of
an owner with no session for a while are cancelled, their best epoch kept (aecore/jobs.py).
"""
from __future__ import annotations

import os

import streamlit as st

from aecore import presence
from aecore.store import client_key, is_valid_id, new_id

COOKIE = "ae_owner"          # the name server.OwnerCookie sets
KEY = "_ae_owner"            # session_state: this session's token
FROM_COOKIE = "_ae_owner_cookie"  # session_state: True when the token came from the cookie
CLIENT_KEY = "_ae_client"    # session_state: this session's client address, hashed
BEHIND_PROXY = os.environ.get("AE_BEHIND_PROXY", "") == "1"


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest, scripts): no cookie
        return None
    return value if is_valid_id(value) else None


def owner() -> str:
    """This browser's owner token (this session's own when the browser sent no cookie)."""
    state = st.session_state
    if KEY not in state:
        cookie = _cookie()
        state[KEY] = cookie or new_id()
        state[FROM_COOKIE] = cookie is not None
    return state[KEY]


def client() -> str:
    """This session's client address, hashed (:func:`aecore.store.client_key`), for the hourly
    save limits and the training queue's per-client limit; "" when unknown. With
    ``AE_BEHIND_PROXY=1`` (deploy/compose.yaml: nginx overwrites the header) the address is
    ``X-Real-IP``; otherwise the socket's peer (a client could forge the header)."""
    state = st.session_state
    if CLIENT_KEY not in state:
        try:
            forwarded = st.context.headers.get("X-Real-IP") if BEHIND_PROXY else None
            address = forwarded or st.context.ip_address
        except Exception:  # noqa: BLE001 - no request context (AppTest, scripts)
            address = None
        state[CLIENT_KEY] = client_key(address)
    return state[CLIENT_KEY]


def ensure_cookie() -> None:
    """Call once per run from the app's frame: fixes this session's owner and notes that the
    owner has a live session. The cookie itself is the server's (server.OwnerCookie)."""
    presence.seen(owner())
