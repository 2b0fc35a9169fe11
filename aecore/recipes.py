"""Old name of :mod:`aecore.model_types` (the Train-page types and their settings), kept so
existing imports keep working: ``recipes`` read like the presets, which it never held."""
from __future__ import annotations

from .model_types import (DEFAULTS, DENOISE_NOISES, TYPES, ModelType, make_configs,  # noqa: F401
                          max_noise_level, preset_settings, total_epochs, type_of)
