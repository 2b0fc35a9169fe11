"""Who "my" models belong to: one unguessable owner token per browser, kept in a cookie.

The server reads the cookie ``ae_owner`` from the session's websocket handshake
(``st.context.cookies``). On a first visit there is none: the server makes a token
(:func:`aecore.store.new_id`, 192 bits), keeps it in the session, and a tiny Components v2
element writes it into the browser's cookie (SameSite=Lax, ~400 days, Secure over https), so a
refresh or a new tab of the same browser reads it back. If another tab of this browser set the
cookie meanwhile, the element reports that one instead (one rerun) and the session adopts it.
The token is a bearer secret: it is never shown, logged or put in a URL.
"""
from __future__ import annotations

import streamlit as st

from aecore.store import is_valid_id, new_id

COOKIE = "ae_owner"
MAX_AGE_S = 400 * 86400  # browsers cap a cookie's lifetime at 400 days
KEY = "_ae_owner"            # session_state: this session's token
FROM_COOKIE = "_ae_owner_cookie"  # session_state: True once the browser is known to hold it

JS = r"""
export default function ({ data, setStateValue }) {
  const m = document.cookie.match(new RegExp("(?:^|; )" + data.name + "=([A-Za-z0-9_-]{32})(?:;|$)"));
  if (m && m[1] !== data.token) {      // another tab of this browser got there first
    setStateValue("existing", m[1]);
    return;
  }
  if (!m) {
    document.cookie = data.name + "=" + data.token + "; Max-Age=" + data.max_age +
      "; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
  }
}
"""
_cookie_writer = st.components.v2.component("ae_owner_cookie", js=JS)


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest, scripts): no cookie
        return None
    return value if is_valid_id(value) else None


def owner() -> str:
    """This browser's owner token (made and written into its cookie on the first visit)."""
    state = st.session_state
    if KEY not in state:
        cookie = _cookie()
        state[KEY] = cookie or new_id()
        state[FROM_COOKIE] = cookie is not None
    return state[KEY]


def ensure_cookie() -> None:
    """Mount the invisible cookie writer until the browser is known to hold this session's
    token; call once per run from the app's frame (in the sidebar: it takes no space)."""
    token = owner()
    if st.session_state.get(FROM_COOKIE):
        return
    with st.sidebar:
        res = _cookie_writer(key="ae_owner_cookie",
                             data={"name": COOKIE, "token": token, "max_age": MAX_AGE_S},
                             on_existing_change=lambda: None, height=0)
    existing = getattr(res, "existing", None) if res is not None else None
    if is_valid_id(existing) and existing != token:
        st.session_state[KEY] = existing  # same browser, same owner as the other tab
