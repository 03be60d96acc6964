"""One lost HLA allele reported by two sources (GISTIC -1 and LOHHLA) is one hit, not two."""

from __future__ import annotations

import pandas as pd

from immunescape.genomics import call_events
from immunescape.genomics.copynumber import GeneCNA


def test_cna_and_lohhla_loss_of_the_same_gene_is_one_allele():
    cna = GeneCNA.from_frame(pd.DataFrame({"sample_id": ["S1"], "gene": ["HLA-A"],
                                           "gistic": [-1]}), resolve_genes=False)
    loh = pd.DataFrame({"sample_id": ["S1", "S1"], "locus": ["A", "A"],
                        "allele": ["HLA-A*02:01", "HLA-A*01:01"], "lost": [True, False],
                        "copy_number": [0.1, 1.9], "p_value": [1e-4, 0.5]})
    ev = call_events(cna=cna, hla_loh=loh)
    hla = ev[ev["gene"] == "HLA-A"]
    assert len(hla) == 2 and set(hla["event"]) == {"loh"}
    assert (hla["biallelic"] != "true").all()
    assert (hla["functional_call"] != "loss_of_function").all()
