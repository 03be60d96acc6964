"""The signature registry: versioned YAML data files, validated, plus user GMT/YAML files."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from immunescape._yaml import YAMLError, safe_load
from immunescape.errors import InputError, SchemaError
from immunescape.signatures.schema import RegistryFile, Signature

__all__ = ["Registry", "load_registry", "read_signature_file", "read_gmt", "registry_ids"]

GmtMethod = Literal["ssgsea", "singscore", "weighted_mean", "mean_z", "pc1"]


@dataclass(frozen=True)
class Registry:
    """An ordered, id-unique collection of signatures with provenance.

    Examples
    --------
    >>> reg = load_registry()
    >>> reg.get("cyt").method
    'geometric_mean'
    """

    signatures: tuple[Signature, ...]
    files: dict[str, str] = field(default_factory=dict)  # file name -> file version
    sha256: str = ""
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        seen: dict[str, int] = {}
        for i, s in enumerate(self.signatures):
            if s.id in seen:
                raise SchemaError(f"signature id {s.id!r} is defined twice", fix="rename one")
            seen[s.id] = i
        object.__setattr__(self, "_index", seen)

    def __iter__(self) -> Iterator[Signature]:
        return iter(self.signatures)

    def __len__(self) -> int:
        return len(self.signatures)

    def __contains__(self, sid: object) -> bool:
        return sid in self._index

    @property
    def ids(self) -> list[str]:
        """Signature ids in registry order."""
        return [s.id for s in self.signatures]

    @property
    def version(self) -> str:
        """A content version: the first 12 hex digits of the registry's sha256."""
        return self.sha256[:12]

    def get(self, sid: str) -> Signature:
        """Return the signature ``sid``; unknown ids raise an :class:`InputError`."""
        try:
            return self.signatures[self._index[sid]]
        except KeyError:
            close = [i for i in self.ids if sid.lower() in i.lower()][:5]
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise InputError(
                f"unknown signature id {sid!r}",
                fix=f"{hint}list the ids with 'immunescape signatures list'",
            ) from None

    def select(self, ids: Iterable[str], *, option: str = "only") -> Registry:
        """Return a registry restricted to ``ids`` (in the order given).

        Unknown ids are refused together, in a message that names ``option`` (the parameter
        that gave them) and a few known ids.

        Examples
        --------
        >>> load_registry().select(["cyt", "gep"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        immunescape.errors.InputError: only: unknown signature id 'gep' (known ids include ...
        """
        ids = list(ids)
        unknown = [i for i in ids if i not in self]
        if unknown:
            close = list(dict.fromkeys(
                k for u in unknown for k in self.ids if u.lower() in k.lower()))[:5]
            hint = f"did you mean {', '.join(close)}? " if close else ""
            plural = "s" if len(unknown) > 1 else ""
            raise InputError(
                f"unknown signature id{plural} {', '.join(repr(u) for u in unknown)} (known ids "
                f"include {', '.join(self.ids[:5])}; {len(self)} in all)",
                source=option,
                fix=f"{hint}list them all with 'immunescape signatures list'",
            )
        return Registry(tuple(self.get(i) for i in ids), dict(self.files), self.sha256)

    def extended(self, extra: Sequence[Signature], *, source: str) -> Registry:
        """Return a registry with ``extra`` signatures appended (ids must be new)."""
        for s in extra:
            if s.id in self:
                raise InputError(
                    f"signature id {s.id!r} already exists in the registry",
                    source=source,
                    fix="give the user signature another id",
                )
        h = hashlib.sha256(self.sha256.encode())
        for s in extra:
            h.update(s.model_dump_json().encode())
        files = {**self.files, source: "user"}
        return Registry(self.signatures + tuple(extra), files, h.hexdigest())


def _parse_registry_yaml(text: str, source: str) -> RegistryFile:
    try:
        data = safe_load(text)
    except YAMLError as exc:
        raise SchemaError(f"not valid YAML ({exc.__class__.__name__})", source=source) from None
    if isinstance(data, list):  # a bare list of signatures is accepted for user files
        data = {"version": "user", "signatures": data}
    try:
        return RegistryFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        sig_hint = ""
        if isinstance(data, dict) and err["loc"][:1] == ("signatures",) and len(err["loc"]) > 1:
            try:
                sig_hint = f" (signature {data['signatures'][err['loc'][1]].get('id')!r})"
            except (KeyError, IndexError, TypeError, AttributeError):
                sig_hint = ""
        more = f" (+{len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        raise SchemaError(
            f"field {loc}{sig_hint}: {err['msg']}{more}",
            source=source,
            fix="see 'immunescape signatures show cyt' for a valid entry",
        ) from None


@cache
def _builtin_files() -> tuple[tuple[str, str, RegistryFile], ...]:
    """Return the shipped registry YAML files: (name, text, parsed), in name order."""
    out = []
    data_dir = resources.files("immunescape.signatures") / "data"
    for entry in sorted(data_dir.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        text = entry.read_text(encoding="utf-8")
        out.append((entry.name, text, _parse_registry_yaml(text, f"registry file {entry.name}")))
    return tuple(out)


@cache
def _builtin() -> Registry:
    sigs: list[Signature] = []
    files: dict[str, str] = {}
    h = hashlib.sha256()
    for name, text, rf in _builtin_files():
        h.update(name.encode())
        h.update(text.encode())
        files[name] = rf.version
        sigs.extend(rf.signatures)
    from immunescape.pathways.progeny import progeny_manifest
    from immunescape.signatures.methods.progeny import progeny_signatures

    sigs.extend(progeny_signatures())
    man = progeny_manifest()
    files["progeny"] = str(man.get("source_version", man.get("version", "")))
    h.update(str(man.get("sha256", "")).encode())
    return Registry(tuple(sigs), files, h.hexdigest())


def registry_ids(
    extra: Sequence[str | Path] = (), *, gmt_method: GmtMethod = "ssgsea"
) -> list[str]:
    """Return ``load_registry(extra).ids`` without building the PROGENy entries.

    The PROGENy ids come from the vendored model's manifest, so listing or validating ids
    (``immunescape kb list``) does not import numpy or pandas. User files are read and
    checked as by :func:`load_registry`.

    Examples
    --------
    >>> registry_ids() == load_registry().ids
    True
    """
    import json
    import re

    ids = [s.id for _, _, rf in _builtin_files() for s in rf.signatures]
    # (through the top package: importing immunescape.pathways would import numpy/pandas)
    manifest = resources.files("immunescape").joinpath(
        "pathways", "data", "progeny_manifest.json"
    )
    pathways = json.loads(manifest.read_text(encoding="utf-8"))["pathways"]
    # the id rule of immunescape.pathways.progeny.signature_id (a test checks they agree)
    ids += ["progeny_" + re.sub(r"[^a-z0-9]+", "_", p.lower()).strip("_") for p in pathways]
    seen = set(ids)
    for path in extra:
        for s in read_signature_file(path, gmt_method=gmt_method):
            if s.id in seen:
                raise InputError(
                    f"signature id {s.id!r} already exists in the registry",
                    source=str(path),
                    fix="give the user signature another id",
                )
            seen.add(s.id)
            ids.append(s.id)
    return ids


def load_registry(
    extra: Sequence[str | Path] = (), *, gmt_method: GmtMethod = "ssgsea"
) -> Registry:
    """Load the built-in registry, optionally extended with user YAML or GMT files.

    Parameters
    ----------
    extra
        Paths of user signature files: ``.yaml``/``.yml`` (the registry format, or a bare
        list of signatures) or ``.gmt`` (one gene set per line: name, description, genes).
    gmt_method
        Scoring method given to GMT gene sets (which carry no method of their own).

    Returns
    -------
    Registry

    Examples
    --------
    >>> "gep18" in load_registry()
    True
    """
    reg = _builtin()
    for path in extra:
        reg = reg.extended(read_signature_file(path, gmt_method=gmt_method), source=str(path))
    return reg


def read_signature_file(path: str | Path, *, gmt_method: GmtMethod = "ssgsea") -> list[Signature]:
    """Read user signatures from a YAML (registry format) or GMT file."""
    p = Path(path)
    if p.is_dir():
        raise InputError("is a directory, not a file", source=str(p),
                         fix="give a signature YAML or GMT file inside it")
    if not p.is_file():
        raise InputError("file not found", source=str(p), fix="check the path")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read ({exc.__class__.__name__})", source=str(p)) from None
    if p.suffix.lower() == ".gmt":
        return read_gmt(text, source=str(p), method=gmt_method)
    if p.suffix.lower() in (".yaml", ".yml"):
        sigs = _parse_registry_yaml(text, str(p)).signatures
        if not sigs:
            raise InputError("no signature defined", source=str(p), fix="add signatures")
        return _current_symbols(sigs, str(p))
    raise InputError(
        f"unsupported signature file type {p.suffix!r}",
        source=str(p),
        fix="give a .gmt or .yaml file",
    )


def read_gmt(text: str, *, source: str = "<gmt>", method: GmtMethod = "ssgsea") -> list[Signature]:
    r"""Parse GMT text (name, description, genes tab-separated) into signatures.

    Gene sets become per-sample scores with ``method`` (ssGSEA raw enrichment by default);
    direction is ``neutral`` because a GMT file does not say. Ids are the set names with
    characters outside ``[A-Za-z0-9_.-]`` replaced by ``_``.

    Examples
    --------
    >>> s = read_gmt("MY SET\tdesc\tGZMA\tPRF1\n")[0]
    >>> (s.id, s.genes)
    ('MY_SET', ['GZMA', 'PRF1'])
    """
    import re

    from immunescape.signatures.schema import METHODS_UNITS

    cohort_methods = {"pc1", "mean_z"}
    out: list[Signature] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [x.strip() for x in line.split("\t")]
        if len(parts) < 3:
            raise InputError(
                f"line {lineno} has {len(parts)} tab-separated fields, expected name, "
                "description and at least one gene",
                source=source,
                fix="separate the fields with tabs",
            )
        genes = list(dict.fromkeys(g for g in parts[2:] if g))
        sid = re.sub(r"[^A-Za-z0-9_.\-]", "_", parts[0])
        out.append(
            Signature(
                id=sid,
                name=parts[0],
                method=method,
                unit=METHODS_UNITS[method],
                direction="neutral",
                scope="cohort_relative" if method in cohort_methods else "per_sample",
                min_coverage=0.5,
                genes=genes,
                citation=parts[1] or f"user gene set from {source}",
                source=source,
            )
        )
    if not out:
        raise InputError("no gene set found", source=source, fix="give one set per line")
    return _current_symbols(out, source)


def _current_symbols(sigs: list[Signature], source: str) -> list[Signature]:
    """Rename a gene set's genes to current HGNC symbols, as expression genes are renamed.

    The expression reader resolves case, previous symbols and aliases (``C10orf54`` ->
    VSIR, ``cd8a`` -> CD8A); a gene set keeping the old spelling would silently miss those
    genes. Unknown or ambiguous names are kept as given (reported as missing when scoring).
    """
    from immunescape._logging import console
    from immunescape.genes import resolve_identifiers

    names = sorted({g for s in sigs for g in _gene_names(s)})
    table = resolve_identifiers(names).table
    renamed = {g: sym for g, sym in zip(table["input"], table["symbol"], strict=True)
               if isinstance(sym, str) and sym != g}
    if not renamed:
        return sigs
    shown = ", ".join(f"{g} -> {s}" for g, s in list(renamed.items())[:5])
    console.warning("%s: %d gene name(s) read as current HGNC symbols (%s%s)", source,
                    len(renamed), shown, ", ..." if len(renamed) > 5 else "")
    return [_renamed(s, renamed) for s in sigs]


def _gene_names(sig: Signature) -> set[str]:
    """Every gene name a signature uses (genes, genes_down, weights, pairs, groups)."""
    names = {*sig.genes, *sig.genes_down, *(sig.weights or {})}
    names |= {g for pair in sig.pairs or () for g in pair}
    return names | {g for group in sig.groups or () for g in group.genes}


def _renamed(sig: Signature, renamed: dict[str, str]) -> Signature:
    """Return the signature with its gene names renamed (unchanged if that makes it invalid)."""
    def new(g: str) -> str:
        return renamed.get(g, g)

    doc = sig.model_dump()
    doc["genes"] = list(dict.fromkeys(new(g) for g in sig.genes))
    doc["genes_down"] = list(dict.fromkeys(new(g) for g in sig.genes_down))
    if sig.weights is not None:
        if len({new(g) for g in sig.weights}) < len(sig.weights):
            return sig  # two weighted names are one gene: keep the file's own
        doc["weights"] = {new(g): w for g, w in sig.weights.items()}
    if sig.pairs is not None:
        doc["pairs"] = [(new(a), new(b)) for a, b in sig.pairs]
    for group in doc.get("groups") or ():
        group["genes"] = list(dict.fromkeys(new(g) for g in group["genes"]))
    try:
        return Signature.model_validate(doc)
    except ValidationError:
        return sig
