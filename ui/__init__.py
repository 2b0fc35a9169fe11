"""Streamlit-side helpers shared by the pages: cached loaders, the model catalogue, widgets."""
