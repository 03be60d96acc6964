"""``read_clinical`` on a table already in memory reads it as it reads the same table in a file.

The file route is the reference (its harmonisation is checked in ``test_io_clinical.py``):
missing cells, numbers, GEO ``key: value`` prefixes, cBioPortal status strings and spaces
in column names give the same harmonised and extra columns and the same provenance, apart
from the name of the source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from immunescape.errors import InputError
from immunescape.io import read_clinical


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            " sample_id ": ["A", "B", "C", "D"],
            "RECIST": ["PR", "SD", None, "PD"],
            "PFS_MONTHS": [12.5, 3.0, np.nan, 2],
            "PFS_STATUS": ["0:CENSORED", "1:PROGRESSED", "0:CENSORED", "1:PROGRESSED"],
            "OS_MONTHS": [30, 10.25, 8, np.nan],
            "OS_STATUS": ["0:LIVING", "1:DECEASED", "1:DECEASED", "0:LIVING"],
            "geo": ["age: 61", "age: 70", "age: 55", "age: 48"],
            "note": ["x", "", None, "[Not Available]"],
        }
    )


@pytest.mark.parametrize("sd_rule", ["pfs6", "exclude"])
def test_frame_equals_file(tmp_path, sd_rule):
    t = _table()
    f = tmp_path / "clin.tsv"
    t.to_csv(f, sep="\t", index=False)
    a = read_clinical(f, sd_rule=sd_rule)
    b = read_clinical(t, sd_rule=sd_rule, source="in memory")
    pdt.assert_frame_equal(a.data, b.data)
    pdt.assert_frame_equal(a.extra, b.extra)
    pa, pb = dict(a.provenance), dict(b.provenance)
    assert pa.pop("file") == str(f) and pb.pop("file") == "in memory"
    assert pa == pb
    assert b.response.tolist()[0] == "R" and b.response.tolist()[3] == "NR"


def test_frame_is_not_modified_and_errors_name_the_source():
    t = _table()
    before = t.copy()
    read_clinical(t)
    pdt.assert_frame_equal(t, before)
    with pytest.raises(InputError, match="^study X: the table has a header but no rows"):
        read_clinical(t.iloc[:0], source="study X")
    with pytest.raises(InputError, match="^clinical table: no sample id column"):
        read_clinical(pd.DataFrame({"x": ["1"], "y": ["2"]}))
