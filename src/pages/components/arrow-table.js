// Row objects (hyparquet's output) → an Apache Arrow table for DuckDB-WASM's insertArrowTable, built
// from typed arrays with makeData: Arrow's builders (vectorFromArray, tableFromArrays) compile their
// null test with `new Function`, which the site's Content-Security-Policy forbids (no 'unsafe-eval':
// docs/SITE.md "Content-Security-Policy").
import {Bool, DateDay, Float64, Int64, Table, Utf8, makeData, makeVector} from "./vendor/duckdb.js";

const DAY_MS = 86_400_000;

/** A column's Arrow type from its first non-null value: Date → DATE, bigint → BIGINT, number → DOUBLE, boolean → BOOLEAN, else VARCHAR. */
function columnKind(values) {
  const v = values.find((x) => x != null);
  if (v instanceof Date) return "date";
  if (typeof v === "bigint") return "bigint";
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "boolean";
  return "text";
}

/** The validity bitmap (bit i set when values[i] is not null) and the null count. */
function validity(values) {
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v == null) nullCount++;
    else bitmap[i >> 3] |= 1 << (i & 7);
  });
  return {nullBitmap: bitmap, nullCount};
}

function textData(values, valid) {
  const encoder = new TextEncoder();
  const parts = values.map((v) => (v == null ? new Uint8Array(0) : encoder.encode(typeof v === "object" ? JSON.stringify(v, (k, x) => (typeof x === "bigint" ? String(x) : x)) : String(v))));
  const valueOffsets = new Int32Array(values.length + 1);
  parts.forEach((p, i) => (valueOffsets[i + 1] = valueOffsets[i] + p.length));
  const data = new Uint8Array(valueOffsets[values.length]);
  parts.forEach((p, i) => data.set(p, valueOffsets[i]));
  return makeData({type: new Utf8(), length: values.length, ...valid, valueOffsets, data});
}

/** One column of values as an Arrow vector. */
export function arrowVector(values) {
  const valid = validity(values);
  const length = values.length;
  switch (columnKind(values)) {
    case "date":
      return makeVector(makeData({type: new DateDay(), length, ...valid, data: Int32Array.from(values, (v) => (v == null ? 0 : Math.floor(v.getTime() / DAY_MS)))}));
    case "bigint":
      return makeVector(makeData({type: new Int64(), length, ...valid, data: BigInt64Array.from(values, (v) => (v == null ? 0n : BigInt(v)))}));
    case "number":
      return makeVector(makeData({type: new Float64(), length, ...valid, data: Float64Array.from(values, (v) => (v == null ? 0 : Number(v)))}));
    case "boolean": {
      const bits = new Uint8Array((length + 7) >> 3);
      values.forEach((v, i) => v && (bits[i >> 3] |= 1 << (i & 7)));
      return makeVector(makeData({type: new Bool(), length, ...valid, data: bits}));
    }
    default:
      return makeVector(textData(values, valid));
  }
}

/** Row objects → an Arrow table; columns in the first row's key order. */
export function arrowTable(rows) {
  const names = rows.length ? Object.keys(rows[0]) : [];
  const columns = {};
  for (const n of names) columns[n] = arrowVector(rows.map((r) => r[n]));
  return new Table(columns);
}
