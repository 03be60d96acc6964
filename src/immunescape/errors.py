"""Exceptions and warnings raised by immunescape.

Every problem with user input raises an :class:`InputError` (or a subclass) whose message is a
single line naming the file or argument, what is wrong and how to fix it. The command-line
interface turns these into exit code 2. A file shipped with the package that is missing or
corrupt raises :class:`ResourceError` (exit code 1: the installation, not the user, is at
fault); anything else is an internal error (exit code 1).
"""

from __future__ import annotations

__all__ = [
    "ImmunescapeError",
    "InputError",
    "UnitError",
    "SchemaError",
    "ResourceError",
    "ImmunescapeWarning",
    "CoverageWarning",
]


class ImmunescapeError(Exception):
    """Base class of every exception raised deliberately by immunescape."""


class InputError(ImmunescapeError, ValueError):
    """Bad user input: a file, a table, an option or an identifier.

    Parameters
    ----------
    problem
        What is wrong, in words a user understands.
    source
        The file or argument concerned (shown first), if any.
    fix
        How to fix it, if known.

    Examples
    --------
    >>> str(InputError("no column 'gene'", source="expr.tsv", fix="name the gene column 'gene'"))
    "expr.tsv: no column 'gene'; fix: name the gene column 'gene'"
    """

    def __init__(self, problem: str, *, source: str | None = None, fix: str | None = None):
        self.problem = problem
        self.source = source
        self.fix = fix
        super().__init__(self._format())

    def _format(self) -> str:
        text = f"{self.source}: {self.problem}" if self.source else self.problem
        if self.fix:
            text += f"; fix: {self.fix}"
        return " ".join(text.split())  # always one line


class UnitError(InputError):
    """The declared expression unit contradicts the data."""


class SchemaError(InputError):
    """A data file (signature registry, knowledge base, model) breaks its schema."""


class ResourceError(ImmunescapeError):
    """A data file shipped with the package is missing or fails its checksum or schema.

    Not the user's fault: the command-line interface exits with code 1 and asks for a
    reinstall. Raised only by :mod:`immunescape._resources`.

    Examples
    --------
    >>> str(ResourceError("genes/data/hs_genes.tsv.gz: sha256 does not match"))
    'genes/data/hs_genes.tsv.gz: sha256 does not match'
    """


class ImmunescapeWarning(UserWarning):
    """Base class of immunescape's warnings."""


class CoverageWarning(ImmunescapeWarning):
    """A signature has too few of its genes in the data to be scored."""
