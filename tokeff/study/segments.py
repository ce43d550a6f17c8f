"""The per-segment table as plain columns: numpy arrays, with category codes for the text columns.

Counting builds this, and every ratio and CI is computed from it without pandas, so a fully
cached `tokeff measure` does not pay for importing pandas. `to_frame()` gives the tidy
pandas table (one row per corpus x segment x language x tokenizer) for the Python API and for
exports; `from_frame()` reads one back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

SEGMENT_COLUMNS = ["corpus", "segment", "doc_id", "domain", "language", "tokenizer",
                   "chars", "bytes", "words", "tokens"]
CATEGORY_COLUMNS = ("corpus", "doc_id", "domain", "language", "tokenizer")
NUMBER_COLUMNS = ("segment", "chars", "bytes", "words", "tokens")

IntArray = npt.NDArray[np.int64]


@dataclass
class SegmentTable:
    """Columns of equal length: `codes[c]` (int32 codes into `categories[c]`) for the text
    columns, `numbers[c]` (int64) for the counts. An optional number column `n` says how many
    segments a row stands for (the streaming path writes one row per document)."""

    codes: dict[str, npt.NDArray[np.int32]]
    categories: dict[str, Sequence[str]]
    numbers: dict[str, IntArray]

    def __len__(self) -> int:
        return len(self.numbers["tokens"])

    def labels(self, column: str, rows: npt.NDArray[Any] | None = None) -> list[str]:
        """The text values of a category column (of `rows`, default all)."""
        cats, codes = self.categories[column], self.codes[column]
        picked = codes if rows is None else codes[rows]
        return [cats[int(i)] for i in picked]

    def to_frame(self) -> pd.DataFrame:
        """The tidy pandas table (columns SEGMENT_COLUMNS, plus `n` when present)."""
        import pandas as pd

        data: dict[str, object] = {}
        for c in SEGMENT_COLUMNS:
            if c in self.codes:
                data[c] = pd.Categorical.from_codes(self.codes[c], dtype=pd.CategoricalDtype(list(self.categories[c])))
            else:
                data[c] = self.numbers[c]
        if "n" in self.numbers:
            data["n"] = self.numbers["n"]
        return pd.DataFrame(data)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> SegmentTable:
        """Read a per-segment table (any dtypes) back into columns: a categorical column keeps
        its categories, a text column gets them sorted; a missing value reads as "" (no
        document, no domain)."""
        import pandas as pd

        codes: dict[str, npt.NDArray[np.int32]] = {}
        cats: dict[str, Sequence[str]] = {}
        for c in CATEGORY_COLUMNS:
            col = frame[c]
            if not isinstance(col.dtype, pd.CategoricalDtype):  # text: categories in sorted order
                col = col.fillna("").astype(str)
                col = col.astype(pd.CategoricalDtype(sorted(col.unique())))
            k = np.asarray(col.cat.codes, dtype=np.int32)
            cats[c] = [str(x) for x in col.cat.categories]
            if (k < 0).any():  # a missing value: no document / no domain, as the loaders write it
                if "" not in cats[c]:
                    cats[c] = [*cats[c], ""]
                k = np.where(k < 0, cats[c].index(""), k).astype(np.int32)
            codes[c] = k
        numbers = {c: frame[c].to_numpy(np.int64) for c in NUMBER_COLUMNS}
        if "n" in frame.columns:
            numbers["n"] = frame["n"].to_numpy(np.int64)
        return cls(codes, cats, numbers)
