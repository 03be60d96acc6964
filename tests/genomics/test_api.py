"""Public API conventions: data first, options keyword-only, numpy docstrings with examples."""

from __future__ import annotations

import inspect

import pytest

import immunescape.genomics as g


def test_public_functions_take_options_by_keyword():
    for name in g.__all__:
        obj = getattr(g, name)
        if not inspect.isfunction(obj):
            continue
        params = list(inspect.signature(obj).parameters.values())
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        # data arguments only: at most two (e.g. y_true, y_score; genomic, expression samples)
        assert len(positional) <= 2, (name, [p.name for p in positional])
        doc = inspect.getdoc(obj) or ""
        assert "Examples" in doc and ">>>" in doc, name
        assert "Parameters" in doc and "Returns" in doc, name


def test_sample_col_names_the_sample_column_of_every_reader(tmp_path):
    from immunescape.genomics import read_cna, read_hla, read_hla_loh, read_maf, read_segments

    maf = tmp_path / "m.tsv"
    maf.write_text("Hugo_Symbol\tVariant_Classification\tDonor\nB2M\tSilent\tPt1\n")
    assert read_maf(maf, sample_col="Donor", resolve_genes=False).samples == ["Pt1"]
    cna = tmp_path / "c.tsv"
    cna.write_text("Donor\tgene\tgistic\nPt2\tPTEN\t-2\n")
    assert read_cna(cna, sample_col="Donor", resolve_genes=False).samples == ["Pt2"]
    seg = tmp_path / "s.tsv"
    seg.write_text("Donor\tchrom\tstart\tend\tseg.mean\nPt3\t1\t1\t1000\t-0.4\n")
    assert read_segments(seg, sample_col="Donor").samples == ["Pt3"]
    hla = tmp_path / "h.tsv"
    hla.write_text("Donor\tallele\nPt4\tA*02:01\nPt4\tA*01:01\n")
    assert read_hla(hla, sample_col="Donor").samples == ["Pt4"]
    loh = tmp_path / "l.tsv"
    loh.write_text("Donor\tallele\tcopy_number\tp_value\nPt5\tA*02:01\t0.1\t0.001\n")
    assert read_hla_loh(loh, sample_col="Donor")["sample_id"].tolist() == ["Pt5"]


def test_an_altered_shipped_table_is_a_resource_error_not_an_input_error(tmp_path, monkeypatch):
    import shutil
    from importlib import resources

    import immunescape._resources as shipped
    from immunescape.errors import InputError, ResourceError
    from immunescape.genomics._reading import read_shipped_table

    real = resources.files("immunescape.genomics") / "data"
    (tmp_path / "data").mkdir()
    shutil.copy(str(real / "centromeres.tsv.sha256"), tmp_path / "data")
    (tmp_path / "data" / "centromeres.tsv").write_text("build\tchrom\nGRCh37\t1\n")
    monkeypatch.setattr(shipped.resources, "files", lambda package: tmp_path)
    with pytest.raises(ResourceError, match="corrupt") as err:
        read_shipped_table("centromeres.tsv")
    assert not isinstance(err.value, InputError)
