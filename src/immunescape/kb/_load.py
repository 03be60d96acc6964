"""Loading the knowledge base: the shipped files, then the user's extension files.

The shipped KB (``kb/data``: ``kb.yaml`` names the data files) is read once, checked by
checksum, schema and cross-references, and cached; a fault in it is the installation's, so
it raises :class:`~immunescape.errors.ResourceError` (exit code 1). User files of the same
layout (:class:`~immunescape.kb.schema.KBFile`) add new ids and are validated exactly like
the shipped data; a fault in them raises :class:`~immunescape.errors.SchemaError` or
:class:`~immunescape.errors.InputError` (exit code 2).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache

from immunescape._resources import REINSTALL
from immunescape.errors import ResourceError, SchemaError
from immunescape.kb._checks import Parts, cross_check, gene_knowledge, score_ids_of
from immunescape.kb._knowledge import KnowledgeBase
from immunescape.kb._read import (
    PathLike,
    kbfile_from_text,
    parse_yaml,
    read_user_text,
    shipped_text,
    validate_model,
)
from immunescape.kb.schema import KBFile, Manifest

__all__ = ["load_kb", "validate_kb_file"]


@contextmanager
def _shipped() -> Iterator[None]:
    """Report a schema or reference problem of the shipped files as a broken installation."""
    try:
        yield
    except SchemaError as exc:
        raise ResourceError(f"the shipped knowledge base is invalid: {exc}; {REINSTALL}") from None


@cache
def _builtin_texts() -> tuple[tuple[str, str], ...]:
    manifest_text = shipped_text("kb.yaml")
    with _shipped():
        man = validate_model(Manifest, parse_yaml(manifest_text, "kb.yaml"), "kb.yaml")
    return (("kb.yaml", manifest_text), *((name, shipped_text(name)) for name in man.files))


@cache
def _builtin_parsed() -> tuple[Manifest, tuple[tuple[str, KBFile], ...]]:
    texts = _builtin_texts()
    with _shipped():
        manifest = validate_model(Manifest, parse_yaml(texts[0][1], "kb.yaml"), "kb.yaml")
        parsed = tuple(
            (f"kb/data/{name}", kbfile_from_text(text, f"kb/data/{name}"))
            for name, text in texts[1:]
        )
    return manifest, parsed


def _assemble(
    extra: Sequence[tuple[str, str]], *, signature_files: Sequence[PathLike]
) -> KnowledgeBase:
    manifest, builtin = _builtin_parsed()
    parts = Parts()
    h = hashlib.sha256()
    files: dict[str, str] = {}
    for name, text in list(_builtin_texts()) + list(extra):
        h.update(name.encode())
        h.update(text.encode("utf-8"))
        files[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    for source, kbf in builtin:
        parts.add(kbf, source)
    for name, text in extra:
        parts.add(kbfile_from_text(text, name), name)
    cross_check(
        parts,
        manifest,
        score_ids=score_ids_of(signature_files),
        genes_kb=gene_knowledge(),
        require_complete=True,
    )
    if parts.phenotype is None:  # pragma: no cover - cross_check already refuses this
        raise SchemaError("no immune phenotype model", source="knowledge base")
    return KnowledgeBase(
        mechanisms=parts.mechanisms,
        countermeasures=parts.countermeasures,
        evidence=parts.evidence,
        links=parts.links,
        phenotype=parts.phenotype,
        manifest=manifest,
        sha256=h.hexdigest(),
        files=files,
        origin=parts.origin,
    )


@cache
def _builtin_kb() -> KnowledgeBase:
    with _shipped():
        return _assemble((), signature_files=())


def load_kb(
    extra: Sequence[PathLike] = (), *, signature_files: Sequence[PathLike] = ()
) -> KnowledgeBase:
    """Load the shipped knowledge base, optionally extended with user YAML files.

    Parameters
    ----------
    extra
        User KB files (same layout as the shipped files; new ids only). They are validated
        exactly like the shipped data.
    signature_files
        User signature files (YAML/GMT) whose ids RNA rules in ``extra`` may reference.

    Returns
    -------
    KnowledgeBase
        The shipped KB is parsed once and cached; extensions are merged on each call.

    Raises
    ------
    InputError
        A user file is missing or unreadable.
    SchemaError
        A user file breaks the schema or a cross-reference does not resolve (one line naming
        the file and the field).
    ResourceError
        A shipped file is missing, fails its checksum, or is invalid (reinstall).

    Examples
    --------
    >>> kb = load_kb()
    >>> len(kb.mechanisms) >= 35, kb.version == kb.manifest.kb_version
    (True, True)
    """
    builtin = _builtin_kb()  # the shipped KB is checked on its own first
    if not extra and not signature_files:
        return builtin
    texts = []
    for p in extra:
        text, source = read_user_text(p)
        texts.append((source, text))
    return _assemble(texts, signature_files=signature_files)


def validate_kb_file(
    path: PathLike | None = None, *, signature_files: Sequence[PathLike] = ()
) -> list[str]:
    """Validate a user KB file together with the shipped KB (or the shipped KB alone).

    Parameters
    ----------
    path
        The user file; None validates the shipped knowledge base.
    signature_files
        Extra signature files whose ids the file's RNA rules may use.

    Returns
    -------
    list of str
        Soft problems (warnings), each one line: evidence items nothing refers to,
        mechanisms without a countermeasure, RNA rules on cohort-relative scores only.
        Empty when the file is clean.

    Raises
    ------
    SchemaError
        Hard problems: schema breaks and unresolved references (file, field, problem).

    Examples
    --------
    >>> validate_kb_file()
    []
    """
    kb = load_kb([path] if path is not None else [], signature_files=signature_files)
    source = str(path) if path is not None else None
    own = {k for k, v in kb.origin.items() if source is None or v == source}
    used: set[str] = set()
    for m in kb.mechanisms.values():
        used.update(m.evidence)
        for _, block in m.detection.blocks():
            used.update(block.evidence)
    for c in kb.countermeasures.values():
        used.update(c.evidence)
    for lk in kb.links.values():
        used.update(lk.evidence)
    used.update(kb.phenotype.evidence)
    problems: list[str] = []
    where = source or "knowledge base"
    for eid in kb.evidence:
        if eid in own and eid not in used:
            problems.append(f"{where}: evidence {eid} is not cited by any record")
    if source is not None:
        for mid, m in kb.mechanisms.items():
            if mid in own and not kb.links_of(mid) and not m.detection.empty:
                problems.append(
                    f"{where}: mechanism {mid} has no link to a countermeasure "
                    "(allowed, but nothing will be recommended)"
                )
    return problems

