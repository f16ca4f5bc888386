"""Read a CCASS Observatory dataset with each Python tool's default call and compare with DuckDB.

Run by scripts/check-dataset.ts (npm run check-dataset -- DIR), which computes DuckDB's answer and
passes it on stdin as JSON:
  {"root": DIR, "tables": {NAME: {"columns": [[name, duckdb_type], ...], "partition": "month"|"year", "rows": N, "checksum": HEX}}}
NAME is a dataset table (`<root>/<table>/month=YYYY-MM/`) or a static API download with yearly
parts (`<root>/<name>/year=YYYY/`, src/dataset/check.ts checkDownloads). For `year` folders
every column must also come back with DuckDB's type, and a `year` column, where a tool adds one
from the path, must be an integer equal to the row's own year.
Prints one JSON line per (table, tool): {"table", "tool", "call", "ok", "rows", "checksum", "error"}.
Exit status 1 when any call failed or disagreed, 0 otherwise.

The checksum, the same as check-dataset.ts computes in SQL: every row becomes one line, its
columns' text joined by U+001F (DATE as YYYY-MM-DD, integers in decimal, DOUBLE as Python's repr,
which DuckDB's VARCHAR cast matches, NULL as \\N) and a newline; lines are sorted by their bytes and
grouped by month (the line's first 7 characters); the checksum is the SHA-256 of the lines
"YYYY-MM:<sha256 of the month's lines>" joined by newlines.
"""

import hashlib
import json
import sys
import traceback

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

ARROW_TYPES = {
    "DATE": pa.date32(),
    "VARCHAR": pa.large_string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    # the transfers download's `likely` (schema 5); as text "true"/"false", as DuckDB casts it
    "BOOLEAN": pa.bool_(),
}
SEP = pa.scalar("\x1f", pa.large_string())
NEWLINE = pa.scalar("\n", pa.large_string())
NOTHING = pa.scalar("", pa.large_string())
NULL = "\\N"


def column_text(col: pa.ChunkedArray, duck_type: str) -> pa.Array:
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if duck_type == "DOUBLE":
        # repr is the shortest round-trip text, as DuckDB's cast; this column is small (southbound only).
        text = pa.array([None if v is None else repr(float(v)) for v in col.to_pylist()], type=pa.large_string())
    else:
        text = pc.cast(pc.cast(col, ARROW_TYPES[duck_type]), pa.large_string())
    return pc.fill_null(text, NULL)


# The text of a hive key is the first characters of the row's date: YYYY-MM, YYYY.
KEY_WIDTH = {"month": 7, "year": 4}


def plain(col) -> pa.Array:
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return col.dictionary_decode() if pa.types.is_dictionary(col.type) else col


def same_type(got: pa.DataType, duck_type: str) -> bool:
    want = ARROW_TYPES[duck_type]
    if pa.types.is_string(want) or pa.types.is_large_string(want):
        return pa.types.is_string(got) or pa.types.is_large_string(got) or pa.types.is_string_view(got)
    return got == want


def checksum(table: pa.Table, columns: list, partition: str = "month") -> tuple[int, str]:
    missing = [name for name, _ in columns if name not in table.column_names]
    if missing:
        raise ValueError(f"columns missing from the result: {', '.join(missing)} (got {', '.join(table.column_names)})")
    if partition == "year":
        wrong = [f"{name} is {plain(table.column(name)).type}, DuckDB {t}" for name, t in columns if not same_type(plain(table.column(name)).type, t)]
        if wrong:
            raise ValueError(f"types differ: {'; '.join(wrong)}")
    if partition in table.column_names and partition not in [n for n, _ in columns]:
        # The hive partition key: it must agree with each row's own date (and a year be a number).
        key = plain(table.column(partition))
        if partition == "year" and not pa.types.is_integer(key.type):
            raise ValueError(f"the year partition column is {key.type}, not an integer")
        text = pc.cast(key, pa.large_string())
        own = pc.utf8_slice_codeunits(pc.cast(pc.cast(table.column("date"), pa.date32()), pa.large_string()), 0, KEY_WIDTH[partition])
        if not pc.all(pc.equal(text, own)).as_py():
            raise ValueError(f"the {partition} partition column disagrees with the date column")
    if table.num_rows == 0:
        return 0, hashlib.sha256(b"").hexdigest()
    texts = [column_text(table.column(name), duck_type) for name, duck_type in columns]
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*texts, SEP), NEWLINE, NOTHING)
    lines = lines.take(pc.sort_indices(lines))
    months = pc.utf8_slice_codeunits(lines, 0, 7).to_pylist()
    # A large_string array is one data buffer and int64 offsets: hash each month's byte range directly.
    _, offset_buf, data = lines.buffers()
    offsets = np.frombuffer(offset_buf, dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    digest = hashlib.sha256()
    start = 0
    parts = []
    n = len(months)
    while start < n:
        end = start
        while end < n and months[end] == months[start]:
            end += 1
        h = hashlib.sha256(memoryview(data)[int(offsets[start]) : int(offsets[end])]).hexdigest()
        parts.append(f"{months[start]}:{h}")
        start = end
    digest.update("\n".join(parts).encode())
    return table.num_rows, digest.hexdigest()


def calls(table_dir: str):
    """The default call of each tool, as a new user would type it (issue #13)."""
    return [
        ("pandas", f'pd.read_parquet("{table_dir}")', lambda: pa.Table.from_pandas(pd.read_parquet(table_dir), preserve_index=False)),
        ("pyarrow", f'pq.read_table("{table_dir}")', lambda: pq.read_table(table_dir)),
        ("pyarrow.dataset", f'ds.dataset("{table_dir}", partitioning="hive")', lambda: ds.dataset(table_dir, partitioning="hive").to_table()),
        ("polars", f'pl.read_parquet("{table_dir}")', lambda: pl.read_parquet(table_dir).to_arrow()),
        ("polars.scan", f'pl.scan_parquet("{table_dir}/**/*.parquet")', lambda: pl.scan_parquet(f"{table_dir}/**/*.parquet").collect().to_arrow()),
    ]


def main() -> int:
    spec = json.load(sys.stdin)
    failed = False
    for name, want in spec["tables"].items():
        table_dir = f"{spec['root']}/{name}"
        for tool, call, read in calls(table_dir):
            out = {"table": name, "tool": tool, "call": call, "ok": False, "rows": None, "checksum": None, "error": None}
            try:
                rows, sums = checksum(read(), want["columns"], want.get("partition", "month"))
                out.update(rows=rows, checksum=sums)
                if rows != want["rows"]:
                    out["error"] = f"{rows} rows, DuckDB reads {want['rows']}"
                elif sums != want["checksum"]:
                    out["error"] = f"checksum {sums[:12]}… differs from DuckDB's {want['checksum'][:12]}…"
                else:
                    out["ok"] = True
            except Exception as err:  # every tool's own error is the finding: report it, go on
                out["error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else traceback.format_exc(limit=1)}"
            failed = failed or not out["ok"]
            print(json.dumps(out), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
