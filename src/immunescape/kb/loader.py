"""Load, cross-validate, list and render the knowledge base.

The shipped KB lives in ``immunescape/kb/data`` (``kb.yaml`` names the data files); users can
add YAML files of the same layout (:class:`~immunescape.kb.schema.KBFile`) with new ids.
Every file is checked against the schema and then cross-checked: referenced ids exist, the
required mechanism and countermeasure ids are all present, RNA rules name score ids of the
signature registry, DNA rules name mechanisms and genes of ``genes.yaml``, and the links
agree with the countermeasures' ``mechanisms`` lists. Problems raise a one-line
:class:`~immunescape.errors.SchemaError` naming the file and the field.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:  # pandas is imported by kb_table only
    import pandas as pd

from immunescape._yaml import YAMLError, safe_load
from immunescape.errors import InputError, SchemaError
from immunescape.kb.schema import (
    ClinicalCondition,
    Condition,
    Countermeasure,
    DiscordanceCondition,
    Evidence,
    FeatureCondition,
    GeneEventsCondition,
    GroupCondition,
    KBFile,
    Link,
    Manifest,
    Mechanism,
    Parameters,
    PhenotypeModel,
    RuleBlock,
    ScoreCondition,
)

__all__ = [
    "KnowledgeBase",
    "load_kb",
    "read_kb_file",
    "validate_kb_file",
    "kb_table",
    "render_entry",
    "describe_condition",
    "LEVEL_ORDER",
]

PathLike = str | Path
#: Evidence levels from strongest to weakest.
LEVEL_ORDER: tuple[str, ...] = ("A", "B", "C", "D", "E")
_SECTIONS = ("mechanisms", "countermeasures", "evidence", "links")
_FIX = "see docs/knowledge_base.md for the schema and 'immunescape kb show ID' for examples"


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated knowledge base.

    Attributes
    ----------
    mechanisms, countermeasures, evidence
        Records by id, in file order.
    links
        Links by ``(mechanism_id, countermeasure_id)``.
    phenotype
        The immune phenotype rule set.
    manifest
        ``kb.yaml``: version, default parameters, seed reviews, required ids, disclaimer.
    sha256
        Checksum over every data file read (shipped and user), in reading order.
    files
        File name (or user path) -> its sha256.
    origin
        Record id (mechanism, countermeasure or evidence id; ``"mech->cm"`` for links) ->
        the file it came from.

    Examples
    --------
    >>> kb = load_kb()
    >>> kb.mechanisms["ifng_pathway_loss"].category
    'tumour_intrinsic'
    >>> kb.link_level(kb.links[("lag3_coinhibition", "anti_lag3")])
    'A'
    """

    mechanisms: dict[str, Mechanism]
    countermeasures: dict[str, Countermeasure]
    evidence: dict[str, Evidence]
    links: dict[tuple[str, str], Link]
    phenotype: PhenotypeModel
    manifest: Manifest
    sha256: str
    files: dict[str, str] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """KB version from ``kb.yaml`` (``+user.<sha8>`` when user files were added)."""
        user = [f for f in self.files if f not in self.manifest.files and f != "kb.yaml"]
        return self.manifest.kb_version + (f"+user.{self.sha256[:8]}" if user else "")

    @property
    def parameters(self) -> Parameters:
        """Default thresholds of the rule language."""
        return self.manifest.parameters

    def links_of(self, mechanism_id: str) -> list[Link]:
        """Links leaving a mechanism, in file order."""
        return [lk for (m, _), lk in self.links.items() if m == mechanism_id]

    def mechanisms_of(self, countermeasure_id: str) -> list[str]:
        """Mechanisms a countermeasure addresses: its own list plus links from user files."""
        own = list(self.countermeasures[countermeasure_id].mechanisms)
        return own + [
            lk.mechanism for lk in self.links_to(countermeasure_id) if lk.mechanism not in own
        ]

    def links_to(self, countermeasure_id: str) -> list[Link]:
        """Links arriving at a countermeasure, in file order."""
        return [lk for (_, c), lk in self.links.items() if c == countermeasure_id]

    def best_level(self, evidence_ids: Iterable[str]) -> str | None:
        """Strongest level among ``supports`` items of ``evidence_ids`` (None if none)."""
        levels = [
            self.evidence[e].level for e in evidence_ids if self.evidence[e].direction == "supports"
        ]
        return min(levels, key=LEVEL_ORDER.index) if levels else None

    def link_level(self, link: Link) -> str | None:
        """Level of a link: the strongest supporting evidence item behind it.

        A recommendation should report the weaker of this and the level of the evidence
        behind the mechanism call (see docs/knowledge_base.md, "Evidence levels").
        """
        return self.best_level(link.evidence)

    def link_contested(self, link: Link) -> bool:
        """Return True when an evidence item of the link does not support it."""
        return any(self.evidence[e].direction == "does_not_support" for e in link.evidence)

    def seed_identifier(self, seed: str) -> str:
        """``DOI:...`` (or ``PMID:...``) of a seed review, e.g. for ``via_seed`` sources."""
        s = self.manifest.seeds[seed]  # type: ignore[index]
        return f"DOI:{s.doi}" if s.doi else f"PMID:{s.pmid}"

    def citation_ids(self, evidence_id: str) -> list[str]:
        """Return the identifiers to cite for an evidence item (seed review's if none)."""
        ev = self.evidence[evidence_id]
        ids = ev.source.identifiers
        if not ids and ev.source.via_seed:
            ids = [f"{self.seed_identifier(ev.source.via_seed)} (seed {ev.source.via_seed})"]
        return ids

    def get(self, entry_id: str) -> Mechanism | Countermeasure | Evidence:
        """Return the mechanism, countermeasure or evidence item with this id.

        Raises
        ------
        InputError
            If no record has the id (with close matches as the fix).
        """
        for table in (self.mechanisms, self.countermeasures, self.evidence):
            if entry_id in table:
                return table[entry_id]  # type: ignore[return-value]
        every = [*self.mechanisms, *self.countermeasures, *self.evidence]
        close = [i for i in every if entry_id.lower() in i][:5]
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise InputError(
            f"no mechanism, countermeasure or evidence item has the id {entry_id!r}",
            fix=f"{hint}list the ids with 'immunescape kb list'",
        )


# --------------------------------------------------------------------------- reading


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _loc_text(loc: Sequence[Any], data: Any) -> str:
    """Render a pydantic error location with list indices and record ids."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            try:
                node = node[part]
                rid = node.get("id") if isinstance(node, Mapping) else None
                if rid is None and isinstance(node, Mapping) and "mechanism" in node:
                    rid = f"{node.get('mechanism')}->{node.get('countermeasure')}"
                if rid is not None and len(out.split(".")) == 1:
                    out += f" (id {rid!r})"
            except (IndexError, KeyError, TypeError):
                node = None
        else:
            out += ("." if out else "") + str(part)
            try:
                node = node[part] if isinstance(node, Mapping) else None
            except (KeyError, TypeError):
                node = None
    return out or "(top level)"


_TAGS = {"score", "discordance", "gene_events", "feature", "clinical", "group"}


def _drop_union_tags(loc: Sequence[Any]) -> list[Any]:
    """Drop the discriminator tag pydantic inserts after ``conditions[i]``."""
    out: list[Any] = []
    for i, part in enumerate(loc):
        after_index = i >= 2 and loc[i - 2] == "conditions" and isinstance(loc[i - 1], int)
        if after_index and part in _TAGS:
            continue
        out.append(part)
    return out


def _validate(model: type[BaseModel], data: Any, source: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt field shows up as "extra" plus "missing": report the typo first
        extra = [e for e in errors if e["type"] == "extra_forbidden"]
        err = extra[0] if extra else errors[0]
        loc = _drop_union_tags(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if extra:
            parent = tuple(err["loc"][:-1])
            missing = [
                str(e["loc"][-1])
                for e in errors
                if e["type"] == "missing" and tuple(e["loc"][:-1]) == parent
            ]
            close = difflib.get_close_matches(str(err["loc"][-1]), missing, n=1)
            if close:
                msg += f" (did you mean {close[0]!r}?)"
        more = f" (+{len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        raise SchemaError(
            f"field {_loc_text(loc, data)}: {msg}{more}", source=source, fix=_FIX
        ) from None


def _parse_yaml(text: str, source: str) -> Any:
    try:
        return safe_load(text)
    except YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise SchemaError(
            f"is not valid YAML ({first})", source=source, fix="fix the YAML syntax"
        ) from None
    except ValueError as exc:  # e.g. a date such as 2024-02-30 that the YAML loader rejects
        raise SchemaError(
            f"holds an impossible value ({exc})",
            source=source,
            fix="write dates as real calendar dates, YYYY-MM-DD",
        ) from None


def _read_text(path: PathLike) -> tuple[str, str]:
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", source=str(p), fix="check the path")
    try:
        return p.read_text(encoding="utf-8"), str(p)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot be read ({exc.__class__.__name__})", source=str(p), fix="give a UTF-8 YAML"
        ) from None


def _kbfile_from_text(text: str, source: str) -> KBFile:
    data = _parse_yaml(text, source)
    if data is None:
        raise SchemaError("is empty", source=source, fix="add mechanisms, evidence or links")
    if not isinstance(data, Mapping):
        raise SchemaError(
            f"must be a mapping with keys {', '.join(_SECTIONS)}, not a {type(data).__name__}",
            source=source,
            fix=_FIX,
        )
    return _validate(KBFile, data, source)


def read_kb_file(path: PathLike) -> KBFile:
    """Read and schema-check one KB YAML file (no cross-references).

    Parameters
    ----------
    path
        A YAML file with any of the sections ``mechanisms``, ``countermeasures``,
        ``evidence``, ``links`` (and ``phenotype``).

    Returns
    -------
    KBFile

    Raises
    ------
    InputError
        The file is missing or unreadable.
    SchemaError
        The file breaks the schema (one line: file, field, problem).
    """
    text, source = _read_text(path)
    return _kbfile_from_text(text, source)


@dataclass
class _Parts:
    mechanisms: dict[str, Mechanism] = field(default_factory=dict)
    countermeasures: dict[str, Countermeasure] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    links: dict[tuple[str, str], Link] = field(default_factory=dict)
    phenotype: PhenotypeModel | None = None
    origin: dict[str, str] = field(default_factory=dict)

    def add(self, kbf: KBFile, source: str) -> None:
        for section in ("mechanisms", "countermeasures", "evidence"):
            table = getattr(self, section)
            for i, rec in enumerate(getattr(kbf, section)):
                if rec.id in self.origin:
                    raise SchemaError(
                        f"field {section}[{i}].id: id {rec.id!r} is already defined in "
                        f"{self.origin[rec.id]}",
                        source=source,
                        fix="give the record a new id (extension files add, never replace)",
                    )
                table[rec.id] = rec
                self.origin[rec.id] = source
        for i, lk in enumerate(kbf.links):
            if lk.key in self.links:
                raise SchemaError(
                    f"field links[{i}]: link {lk.mechanism}->{lk.countermeasure} is already "
                    f"defined in {self.origin[f'{lk.mechanism}->{lk.countermeasure}']}",
                    source=source,
                    fix="add evidence to a new link only",
                )
            self.links[lk.key] = lk
            self.origin[f"{lk.mechanism}->{lk.countermeasure}"] = source
        if kbf.phenotype is not None:
            if self.phenotype is not None:
                raise SchemaError(
                    "field phenotype: the immune phenotype model is already defined",
                    source=source,
                    fix="remove the phenotype section from the extension file",
                )
            self.phenotype = kbf.phenotype
            self.origin["phenotype"] = source


# --------------------------------------------------------------------------- cross-checks


@dataclass(frozen=True)
class _GeneIndex:
    """What the KB needs from genes.yaml: gene symbols and mechanism -> (gene, effect)."""

    genes: frozenset[str]
    mechanisms: dict[str, tuple[tuple[str, str], ...]]


@cache
def _gene_knowledge() -> _GeneIndex:
    # genes.yaml is owned and fully validated by immunescape.genomics.knowledge; reading the
    # two keys needed here directly keeps ``import immunescape.kb`` free of scipy/genomics.
    source = "kb/data/genes.yaml"
    data = _parse_yaml((_data_dir() / "genes.yaml").read_text(encoding="utf-8"), source)
    try:
        genes = frozenset(data["genes"])
        mechs = {
            mid: tuple((g["symbol"], g["effect"]) for g in m["genes"])
            for mid, m in data["mechanisms"].items()
        }
    except (KeyError, TypeError) as exc:
        raise SchemaError(
            f"lacks the genes/mechanisms layout ({exc.__class__.__name__}: {exc})",
            source=source,
            fix="validate it with immunescape.genomics.load_gene_knowledge",
        ) from None
    return _GeneIndex(genes=genes, mechanisms=mechs)


def _score_ids(signature_files: Sequence[PathLike]) -> set[str]:
    from immunescape.signatures.registry import registry_ids

    return set(registry_ids([str(p) for p in signature_files]))


def _walk(conds: Iterable[Condition]) -> Iterable[Condition]:
    for c in conds:
        yield c
        if isinstance(c, GroupCondition):
            yield from _walk(c.conditions)


def _check_block(
    block: RuleBlock,
    where: str,
    source: str,
    *,
    parts: _Parts,
    score_ids: set[str],
    genes_kb: _GeneIndex,
) -> None:
    for eid in block.evidence:
        if eid not in parts.evidence:
            raise SchemaError(
                f"field {where}.evidence: unknown evidence id {eid!r}", source=source, fix=_FIX
            )
    for c in _walk(block.conditions):
        if isinstance(c, ScoreCondition | DiscordanceCondition):
            ids = [c.score] if isinstance(c, ScoreCondition) else [c.high, c.low]
            for sid in ids:
                if sid not in score_ids:
                    close = sorted(i for i in score_ids if sid.lower()[:5] in i.lower())[:4]
                    hint = f" (close: {', '.join(close)})" if close else ""
                    raise SchemaError(
                        f"field {where}: score id {sid!r} is not in the signature registry{hint}",
                        source=source,
                        fix="use an id from 'immunescape signatures list' or pass the "
                        "signature file that defines it",
                    )
        elif isinstance(c, GeneEventsCondition):
            if c.genes_from is not None and c.genes_from not in genes_kb.mechanisms:
                raise SchemaError(
                    f"field {where}: genes_from {c.genes_from!r} is not a mechanism of "
                    "kb/data/genes.yaml",
                    source=source,
                    fix=f"use one of {', '.join(genes_kb.mechanisms)} or list genes",
                )
            if c.genes_from is not None:
                effects = {eff for _, eff in genes_kb.mechanisms[c.genes_from]}
                if c.effect not in effects:
                    raise SchemaError(
                        f"field {where}: genes.yaml mechanism {c.genes_from!r} has no gene "
                        f"with effect {c.effect!r}",
                        source=source,
                        fix=f"use effect {' or '.join(sorted(effects))}",
                    )
            for g in c.genes:
                if g not in genes_kb.genes:
                    raise SchemaError(
                        f"field {where}: gene {g!r} is not in kb/data/genes.yaml, so no "
                        "genomic events are called for it",
                        source=source,
                        fix="use a gene listed in genes.yaml",
                    )


def _cross_check(
    parts: _Parts,
    manifest: Manifest,
    *,
    score_ids: set[str],
    genes_kb: _GeneIndex,
    require_complete: bool,
) -> None:
    def src(key: str) -> str:
        return parts.origin.get(key, "knowledge base")

    for mid, m in parts.mechanisms.items():
        for i, eid in enumerate(m.evidence):
            if eid not in parts.evidence:
                raise SchemaError(
                    f"field mechanisms (id {mid!r}).evidence[{i}]: unknown evidence id {eid!r}",
                    source=src(mid),
                    fix=_FIX,
                )
        for kind, blocks in (
            ("dna", m.detection.dna),
            ("rna", m.detection.rna),
            ("clinical", m.detection.clinical),
        ):
            for j, block in enumerate(blocks):
                _check_block(
                    block,
                    f"mechanisms (id {mid!r}).detection.{kind}[{j}]",
                    src(mid),
                    parts=parts,
                    score_ids=score_ids,
                    genes_kb=genes_kb,
                )
    for cid, cm in parts.countermeasures.items():
        for i, eid in enumerate(cm.evidence):
            if eid not in parts.evidence:
                raise SchemaError(
                    f"field countermeasures (id {cid!r}).evidence[{i}]: unknown evidence id "
                    f"{eid!r}",
                    source=src(cid),
                    fix=_FIX,
                )
        for i, eid in enumerate(cm.stage_basis.evidence):
            if eid not in parts.evidence:
                raise SchemaError(
                    f"field countermeasures (id {cid!r}).stage_basis.evidence[{i}]: unknown "
                    f"evidence id {eid!r}",
                    source=src(cid),
                    fix=_FIX,
                )
        for i, mid in enumerate(cm.mechanisms):
            if mid not in parts.mechanisms:
                raise SchemaError(
                    f"field countermeasures (id {cid!r}).mechanisms[{i}]: unknown mechanism "
                    f"id {mid!r}",
                    source=src(cid),
                    fix=_FIX,
                )
            if (mid, cid) not in parts.links:
                raise SchemaError(
                    f"field countermeasures (id {cid!r}).mechanisms[{i}]: no link "
                    f"{mid}->{cid} gives the evidence for it",
                    source=src(cid),
                    fix="add the link (mechanism, countermeasure, rationale, evidence)",
                )
    for (mid, cid), lk in parts.links.items():
        key = f"{mid}->{cid}"
        if mid not in parts.mechanisms:
            raise SchemaError(
                f"field links ({key}).mechanism: unknown mechanism id {mid!r}",
                source=src(key),
                fix=_FIX,
            )
        if cid not in parts.countermeasures:
            raise SchemaError(
                f"field links ({key}).countermeasure: unknown countermeasure id {cid!r}",
                source=src(key),
                fix=_FIX,
            )
        same_file = src(key) == src(cid)
        if same_file and mid not in parts.countermeasures[cid].mechanisms:
            raise SchemaError(
                f"field links ({key}): countermeasure {cid!r} does not list mechanism "
                f"{mid!r} in its mechanisms",
                source=src(key),
                fix=f"add {mid} to the mechanisms of {cid}",
            )
        for i, eid in enumerate(lk.evidence):
            if eid not in parts.evidence:
                raise SchemaError(
                    f"field links ({key}).evidence[{i}]: unknown evidence id {eid!r}",
                    source=src(key),
                    fix=_FIX,
                )
        if not any(parts.evidence[e].direction == "supports" for e in lk.evidence):
            raise SchemaError(
                f"field links ({key}).evidence: no evidence item supports the link",
                source=src(key),
                fix="cite at least one item with direction: supports",
            )
    if parts.phenotype is not None:
        ph = parts.phenotype
        for sid in (ph.t_cell_score, ph.stroma_score):
            if sid not in score_ids:
                raise SchemaError(
                    f"field phenotype: score id {sid!r} is not in the signature registry",
                    source=src("phenotype"),
                    fix="use an id from 'immunescape signatures list'",
                )
        for eid in ph.evidence:
            if eid not in parts.evidence:
                raise SchemaError(
                    f"field phenotype.evidence: unknown evidence id {eid!r}",
                    source=src("phenotype"),
                    fix=_FIX,
                )
        for i, rule in enumerate(ph.rules):
            _check_block(
                rule.when,
                f"phenotype.rules[{i}].when",
                src("phenotype"),
                parts=parts,
                score_ids=score_ids,
                genes_kb=genes_kb,
            )
    if require_complete:
        for kind, required, have in (
            ("mechanism", manifest.required_mechanisms, parts.mechanisms),
            ("countermeasure", manifest.required_countermeasures, parts.countermeasures),
        ):
            missing = [i for i in required if i not in have]
            if missing:
                raise SchemaError(
                    f"required {kind} ids are missing: {', '.join(missing)}",
                    source="knowledge base",
                    fix="the ids of docs/mechanisms.md are a contract: restore them",
                )
        if parts.phenotype is None:
            raise SchemaError(
                "no immune phenotype model", source="knowledge base", fix="ship phenotype.yaml"
            )


# --------------------------------------------------------------------------- loading


def _data_dir() -> Any:
    return resources.files("immunescape.kb") / "data"


@cache
def _builtin_texts() -> tuple[tuple[str, str], ...]:
    data = _data_dir()
    manifest_text = (data / "kb.yaml").read_text(encoding="utf-8")
    man = _validate(Manifest, _parse_yaml(manifest_text, "kb.yaml"), "kb.yaml")
    out = [("kb.yaml", manifest_text)]
    for name in man.files:
        out.append((name, (data / name).read_text(encoding="utf-8")))
    return tuple(out)


@cache
def _builtin_parsed() -> tuple[Manifest, tuple[tuple[str, KBFile], ...]]:
    texts = _builtin_texts()
    manifest = _validate(Manifest, _parse_yaml(texts[0][1], "kb.yaml"), "kb.yaml")
    parsed = tuple(
        (f"kb/data/{name}", _kbfile_from_text(text, f"kb/data/{name}")) for name, text in texts[1:]
    )
    return manifest, parsed


def _assemble(
    extra: Sequence[tuple[str, str]], *, signature_files: Sequence[PathLike]
) -> KnowledgeBase:
    manifest, builtin = _builtin_parsed()
    parts = _Parts()
    h = hashlib.sha256()
    files: dict[str, str] = {}
    for name, text in list(_builtin_texts()) + list(extra):
        h.update(name.encode())
        h.update(text.encode("utf-8"))
        files[name] = _sha(text)
    for source, kbf in builtin:
        parts.add(kbf, source)
    for name, text in extra:
        parts.add(_kbfile_from_text(text, name), name)
    _cross_check(
        parts,
        manifest,
        score_ids=_score_ids(signature_files),
        genes_kb=_gene_knowledge(),
        require_complete=True,
    )
    if parts.phenotype is None:  # pragma: no cover - _cross_check already refuses this
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
        A file is missing or unreadable.
    SchemaError
        A file breaks the schema or a cross-reference does not resolve (one line naming the
        file and the field).

    Examples
    --------
    >>> kb = load_kb()
    >>> len(kb.mechanisms) >= 35, kb.version == kb.manifest.kb_version
    (True, True)
    """
    if not extra and not signature_files:
        return _builtin_kb()
    texts = []
    for p in extra:
        text, source = _read_text(p)
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


# --------------------------------------------------------------------------- rendering


def kb_table(
    kb: KnowledgeBase | None = None,
    *,
    kind: Literal["all", "mechanisms", "countermeasures", "evidence"] = "all",
) -> pd.DataFrame:
    """One row per record, for ``immunescape kb list``.

    Parameters
    ----------
    kb
        A loaded KB (the shipped one if None).
    kind
        Which records to list.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``kind``, ``name``, ``group`` (mechanism category, countermeasure
        kind or evidence level/model), ``requires`` (mechanisms), ``n_evidence``,
        ``best_level``.

    Examples
    --------
    >>> t = kb_table(kind="countermeasures")
    >>> t.loc[t.id == "anti_lag3", "best_level"].item()
    'A'
    """
    import pandas as pd

    return pd.DataFrame(kb_rows(kb, kind=kind), columns=KB_TABLE_COLUMNS)


#: Columns of :func:`kb_table` and of the rows of :func:`kb_rows`.
KB_TABLE_COLUMNS = ["id", "kind", "name", "group", "requires", "n_evidence", "best_level"]


def kb_rows(
    kb: KnowledgeBase | None = None,
    *,
    kind: Literal["all", "mechanisms", "countermeasures", "evidence"] = "all",
) -> list[dict[str, Any]]:
    """Return the rows of :func:`kb_table` as plain dicts (no pandas: ``kb list`` starts fast).

    Examples
    --------
    >>> kb_rows(kind="countermeasures")[0]["kind"]
    'countermeasure'
    """
    if kind not in ("all", "mechanisms", "countermeasures", "evidence"):
        raise InputError(
            f"kind={kind!r} is not an option",
            source="kind",
            fix="use all, mechanisms, countermeasures or evidence",
        )
    kb = kb or load_kb()
    rows: list[dict[str, Any]] = []
    if kind in ("all", "mechanisms"):
        for m in kb.mechanisms.values():
            rows.append({
                "id": m.id, "kind": "mechanism", "name": m.name, "group": m.category,
                "requires": ",".join(m.requires) or "not assessable",
                "n_evidence": len(m.evidence), "best_level": kb.best_level(m.evidence),
            })  # fmt: skip
    if kind in ("all", "countermeasures"):
        for c in kb.countermeasures.values():
            rows.append({
                "id": c.id, "kind": "countermeasure", "name": c.name, "group": c.kind,
                "requires": "", "n_evidence": len(c.evidence),
                "best_level": kb.best_level(c.evidence),
            })  # fmt: skip
    if kind in ("all", "evidence"):
        for e in kb.evidence.values():
            rows.append({
                "id": e.id, "kind": "evidence", "name": e.statement,
                "group": f"{e.level}/{e.model}", "requires": "", "n_evidence": 1,
                "best_level": e.level,
            })  # fmt: skip
    return rows


def _pct(value: float | None, default: float) -> str:
    return f"{value if value is not None else default:g}"


def describe_condition(c: Condition, params: Parameters) -> str:
    """One-line English description of a rule condition (thresholds filled in).

    Examples
    --------
    >>> from immunescape.kb.schema import ScoreCondition, Parameters
    >>> describe_condition(ScoreCondition(kind="score", score="ifng6", relation="low"),
    ...                    Parameters())
    'ifng6 low (cohort percentile <= 25)'
    """
    lo, hi = params.low_percentile, params.high_percentile
    if isinstance(c, ScoreCondition):
        rel = {
            "high": f"high (cohort percentile >= {_pct(c.percentile, hi)})",
            "low": f"low (cohort percentile <= {_pct(c.percentile, lo)})",
            "not_high": f"not high (cohort percentile < {_pct(c.percentile, hi)})",
            "not_low": f"not low (cohort percentile > {_pct(c.percentile, lo)})",
        }[c.relation]
        return f"{c.score} {rel}"
    if isinstance(c, DiscordanceCondition):
        gap = c.min_gap if c.min_gap is not None else params.discordance_min_gap
        return (
            f"{c.high} high (percentile >= {_pct(c.high_percentile, hi)}) while {c.low} is at "
            f"least {gap:g} percentile points lower"
        )
    if isinstance(c, GeneEventsCondition):
        genes = []
        if c.genes_from:
            genes.append(f"genes.yaml {c.genes_from} ({c.effect} genes)")
        if c.genes:
            genes.append(", ".join(c.genes))
        extra = []
        if c.functional_call:
            extra.append("called " + "/".join(c.functional_call))
        if c.biallelic_required:
            extra.append("biallelic")
        n = f">= {c.min_genes} genes of " if c.min_genes > 1 else ""
        tail = f" ({', '.join(extra)})" if extra else ""
        return f"{n}{' + '.join(genes)}: {'/'.join(c.events)}{tail}"
    if isinstance(c, FeatureCondition | ClinicalCondition):
        name = f"{c.table}.{c.column}" if isinstance(c, FeatureCondition) else c.field
        unit = f" {c.unit}" if isinstance(c, ClinicalCondition) and c.unit else ""
        op = {
            "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==",
        }.get(c.op)  # fmt: skip
        if op:
            return f"{name} {op} {c.value:g}{unit}"
        if c.op in ("is_true", "is_false"):
            return f"{name} is {c.op[3:]}"
        if c.op == "high":
            return f"{name} high (cohort percentile >= {_pct(c.percentile, hi)})"
        return f"{name} low (cohort percentile <= {_pct(c.percentile, lo)})"
    assert isinstance(c, GroupCondition)
    inner = f" {c.combine.upper()} ".join(describe_condition(x, params) for x in c.conditions)
    return f"({inner})"


def _describe_block(block: RuleBlock, params: Parameters) -> str:
    joined = f" {block.combine.upper()} ".join(
        describe_condition(c, params) for c in block.conditions
    )
    note = f" - {block.note}" if block.note else ""
    return f"[{block.weight}, {block.basis}] {joined}{note}"


def _evidence_line(kb: KnowledgeBase, eid: str) -> str:
    ev = kb.evidence[eid]
    sign = "" if ev.direction == "supports" else " (does NOT support)"
    ids = "; ".join(kb.citation_ids(eid))
    out = (
        f"  [{ev.level}] {eid}{sign}: {ev.statement}\n"
        f"      {ev.source.citation} {ids} - trust {ev.trust_rating}/5; "
        f"reviewed {ev.last_reviewed.isoformat()}"
    )
    if ev.unresolved:
        out += f"\n      unresolved: {ev.unresolved}"
    return out


def _stage_lines(cm: Countermeasure) -> list[str]:
    b = cm.stage_basis
    ids = [f"PMID:{b.pmid}"] if b.pmid else []
    ids += [f"DOI:{b.doi}"] if b.doi else []
    ids += list(b.nct) + ([b.url] if b.url else []) + list(b.evidence)
    lines = [
        f"stage: {cm.stage} (for use against resistance; as of {b.date}; "
        f"reviewed {b.last_reviewed.isoformat()})",
        f"  source: {b.citation} {'; '.join(ids)}",
    ]
    if b.note:
        lines.append(f"  note: {b.note}")
    return lines


def _anchors(anchors: Iterable[Any]) -> str:
    out = []
    for a in anchors:
        refs = f" refs {', '.join(map(str, a.refs))}" if a.refs else ""
        sec = f" '{a.section}'" if a.section else ""
        out.append(f"seed {a.seed}{sec}{refs}")
    return "; ".join(out) or "(beyond the seed reviews)"


def render_entry(entry_id: str, *, kb: KnowledgeBase | None = None) -> str:
    """Plain-text description of a mechanism, countermeasure or evidence item.

    Used by ``immunescape kb show ID``: the record, its detection rules in words, its links
    and every evidence item with level, citation and identifiers, then the disclaimer.

    Examples
    --------
    >>> print(render_entry("hla_genotype").splitlines()[0])
    hla_genotype - Unfavourable germline HLA class I genotype (mechanism)
    """
    kb = kb or load_kb()
    rec = kb.get(entry_id)
    p = kb.parameters
    lines: list[str] = []
    if isinstance(rec, Mechanism):
        lines += [
            f"{rec.id} - {rec.name} (mechanism)",
            f"category: {rec.category}; when present: {rec.effect}",
            f"summary: {rec.summary}",
            f"genes: {', '.join(rec.genes) or '-'}",
            f"seed anchors: {_anchors(rec.seed_anchors)}",
        ]
        if rec.detection.empty:
            lines.append(f"not assessable: {rec.not_assessable_reason}")
        else:
            lines.append(f"assessable from: {', '.join(rec.requires)} (any one suffices)")
            for kind, block in rec.detection.blocks():
                lines.append(f"  {kind}: {_describe_block(block, p)}")
        links = kb.links_of(rec.id)
        lines.append("countermeasures:" if links else "countermeasures: none in the KB")
        for lk in links:
            flag = " (contested)" if kb.link_contested(lk) else ""
            lines.append(f"  {lk.countermeasure} [level {kb.link_level(lk)}{flag}]: {lk.rationale}")
        lines.append("evidence:")
        lines += [_evidence_line(kb, e) for e in rec.evidence]
    elif isinstance(rec, Countermeasure):
        lines += [
            f"{rec.id} - {rec.name} (countermeasure, {rec.kind}; stage {rec.stage})",
            f"summary: {rec.summary}",
            f"agents: {', '.join(rec.agents) or '-'}",
            f"trials: {', '.join(rec.trials) or '-'}",
            f"seed anchors: {_anchors(rec.seed_anchors)}",
        ]
        lines += _stage_lines(rec)
        if rec.caution:
            lines.append(f"caution: {rec.caution}")
        lines.append("addresses:")
        for lk in kb.links_to(rec.id):
            flag = " (contested)" if kb.link_contested(lk) else ""
            lines.append(f"  {lk.mechanism} [level {kb.link_level(lk)}{flag}]: {lk.rationale}")
        lines.append("evidence:")
        lines += [_evidence_line(kb, e) for e in rec.evidence]
    else:
        ev = rec
        lines += [
            f"{ev.id} - evidence item (level {ev.level}, {ev.model})",
            f"statement: {ev.statement}",
            f"type: {ev.evidence_type}; direction: {ev.direction}; significance: {ev.significance}",
            f"therapies: {', '.join(ev.therapies) or '-'}"
            + (f" ({ev.interaction_type})" if ev.interaction_type else ""),
            f"disease: {ev.disease}",
            f"source: {ev.source.citation}",
            f"identifiers: {'; '.join(kb.citation_ids(ev.id))}",
            f"seed anchor: {_anchors([ev.seed_anchor] if ev.seed_anchor else [])}",
            f"trust: {ev.trust_rating}/5",
            f"last reviewed: {ev.last_reviewed.isoformat()}",
        ]
        if ev.verification:
            lines.append(f"verification: {ev.verification}")
        if ev.unresolved:
            lines.append(f"unresolved: {ev.unresolved}")
        if ev.source.url:
            lines.append(f"url: {ev.source.url}")
    lines.append(kb.manifest.disclaimer.strip())
    return "\n".join(lines)
