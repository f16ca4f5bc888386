// SQL that builds a columnar JSON object ({"a": [...], "b": [...]}) per group with ONE sort:
// list({a, b} ORDER BY …) gathers the rows in order, list_transform splits them into columns.
// (One list(… ORDER BY …) per column would sort once per column.)

const quote = (k: string) => `"${k.replaceAll('"', '""')}"`;

export interface Columnar {
  /** The aggregate, to put in a SELECT with GROUP BY: yields column `r`. */
  agg: string;
  /** JSON text expression over `r` (use in an outer SELECT). */
  json: string;
}

export function columnar(fields: [name: string, expr: string][], order: string, alias = "r"): Columnar {
  const agg = `list({${fields.map(([k, e]) => `${quote(k)}: ${e}`).join(", ")}} ORDER BY ${order}) AS ${alias}`;
  const json = `to_json({${fields.map(([k]) => `${quote(k)}: list_transform(${alias}, x -> x.${quote(k)})`).join(", ")}})::VARCHAR`;
  return { agg, json };
}
