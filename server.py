"""The web server: Streamlit's ASGI app (``st.App``) over ``app.py``, with a start-up hook.

    streamlit run server.py          # what `make run` and the Docker image start

``streamlit run`` finds the ``st.App`` below and serves ``app.py`` with uvicorn, as it would serve
``app.py`` itself; the difference is the lifespan. Its start runs once, before the first browser
connects: :mod:`ui.warmup` imports the frame's modules, then, once the first page has been drawn,
torch and what the other pages load, on a helper thread, while the server answers. The Home page
draws its default model without torch. Without the warm-up the first browser waited about 2 s
for ``import torch`` inside its first script run, and a click on any other page waited for what
that page loads. Its end runs when the server stops and saves the running trainings.

``app.py`` still runs alone (``streamlit run app.py``, AppTest): then nothing is warmed ahead.
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import streamlit as st

from ui import warmup


@asynccontextmanager
async def lifespan(_app):
    warmup.start()
    yield
    # the server is stopping (SIGTERM from docker stop or systemd, Ctrl+C): running trainings keep
    # their best epoch in the model library, marked "interrupted", before the process may end.
    # Uvicorn ends the process by re-raising the signal once its shutdown is over, so the saving
    # happens here, inside that shutdown; aecore.shutdown's handler still bounds the whole stop.
    # Imported here: at the top they would import torch before the server answers.
    from aecore import jobs, shutdown
    await asyncio.to_thread(jobs.stop_manager, shutdown.BUDGET_S - 0.8)


app = st.App("app.py", lifespan=lifespan)
