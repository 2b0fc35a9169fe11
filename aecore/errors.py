"""Errors raised by aecore with a message fit to show a user.

The core raises these with a clear, specific message (what was wrong, what to try); the pages
turn them into ``st.error`` at their edge. Nothing here imports the UI.
"""
from __future__ import annotations


class AecoreError(Exception):
    """Base class: every error the core raises on purpose for bad input."""


class ConfigError(AecoreError, ValueError):
    """A model or training setting is out of range or unknown."""


class DatasetError(AecoreError):
    """A data set is missing, corrupt, or not available offline."""


class ImageInputError(AecoreError, ValueError):
    """An uploaded or drawn image cannot be turned into an MNIST-like digit."""


class WeightsError(AecoreError):
    """A weight file or its card is missing, truncated, corrupt, unsafe or mismatched."""
