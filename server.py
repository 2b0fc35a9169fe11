"""The web server: Streamlit's ASGI app (``st.App``) over ``app.py``, with a start-up hook.

    streamlit run server.py          # what `make run` and the Docker image start

``streamlit run`` finds the ``st.App`` below and serves ``app.py`` with uvicorn, as it would serve
``app.py`` itself; the difference is the lifespan, which runs once when the server starts, before
the first browser connects: :mod:`ui.warmup` imports torch and the pages' modules and loads the
Home page's model and the test digits on a helper thread, while the server already answers.
Without it the first browser waited about 2 s for ``import torch`` inside its first script run:
opened 8 s after the start, Home was drawn in 4.1-4.5 s, with it in 2.3-2.5 s (2-core AMD EPYC).

``app.py`` still runs alone (``streamlit run app.py``, AppTest): then nothing is warmed ahead.
"""
from __future__ import annotations

from contextlib import asynccontextmanager

import streamlit as st

from ui import warmup


@asynccontextmanager
async def lifespan(_app):
    warmup.start()
    yield


app = st.App("app.py", lifespan=lifespan)
