"""The package logger. Never configured here: applications decide where logs go."""

from __future__ import annotations

import logging

logger = logging.getLogger("immunescape")
