"""The package logger. Never configured here: applications decide where logs go."""

from __future__ import annotations

import logging

logger = logging.getLogger("immunescape")

#: Warnings a user must see even where the package's other log records are hidden: the
#: command line shows the records of this child logger on stderr ("immunescape: warning:
#: ...", once the command has succeeded, so a failure prints only its error line) while it
#: keeps :data:`logger` at ERROR. Used sparingly (a silent substitution of
#: data, such as gene ids taken from a fallback column); everything logged here also goes
#: to the command's ``run.json`` warnings.
console = logging.getLogger("immunescape.console")
