// The dataset's schema, defined once. The writer takes its column lists and sort keys from here,
// the loaders their empty stand-ins, and scripts/dataset-card.ts generates data/README.md and
// data/datapackage.json from it, so the files, the code and the published description cannot drift
// apart (tests/dataset-card.test.ts checks all three against real files).

/** DuckDB types the writer produces (what `DESCRIBE` shows for a written file). */
export type ColumnType = "DATE" | "VARCHAR" | "BIGINT" | "INTEGER" | "DOUBLE";

export interface ColumnDef {
  name: string;
  type: ColumnType;
  /** false: the writer never leaves it NULL (Frictionless `required`) */
  nullable: boolean;
  description: string;
  /** what the number counts, for numeric columns */
  unit?: string;
}

export interface TableDef {
  name: string;
  /** what one row is, "one row per …" */
  rowPer: string;
  description: string;
  /** key columns: unique together; daily files are sorted by them */
  key: readonly string[];
  columns: readonly ColumnDef[];
}

const date: ColumnDef = { name: "date", type: "DATE", nullable: false, description: "settlement date the figures are for (Hong Kong)" };
const stockCode: ColumnDef = { name: "stock_code", type: "VARCHAR", nullable: false, description: "HKEX stock code, five digits (`00700`)" };
const stockName: ColumnDef = { name: "stock_name", type: "VARCHAR", nullable: false, description: "stock name as HKEX printed it that day" };
const participantKey: ColumnDef = {
  name: "participant_key",
  type: "VARCHAR",
  nullable: false,
  description: "CCASS participant ID (`C00010`), or for a consenting investor participant without one `ip:` + 12 hex digits of the SHA-1 of the normalised name (`#2`, `#3` for same-name repeats on one page)",
};
const securityId: ColumnDef = {
  name: "security_id",
  type: "VARCHAR",
  nullable: false,
  description:
    "stable id of the security (a code can be recycled or changed): `wb:` + Webb-site's issue ID for archive days and for scraped days the archive lists, else `hk:` + the code (docs/ARCHIVE.md)",
};
const shares = (description: string): ColumnDef => ({ name: "", type: "BIGINT", nullable: false, description, unit: "shares" });
const count = (description: string): ColumnDef => ({ name: "", type: "INTEGER", nullable: false, description, unit: "participants" });
const named = (name: string, c: ColumnDef): ColumnDef => ({ ...c, name });

/** The partitioned tables, in the order the writer writes them. */
export const TABLES = ["holdings", "summary", "stocks", "participants", "southbound"] as const;
export type TableName = (typeof TABLES)[number];

export const TABLE_SCHEMAS: Readonly<Record<TableName, TableDef>> = {
  holdings: {
    name: "holdings",
    rowPer: "settlement date × stock × participant listed on the stock's page",
    description: "Shares each CCASS participant holds in each stock at the end of a settlement day.",
    key: ["date", "stock_code", "participant_key"],
    columns: [date, stockCode, participantKey, named("shares", shares("shares held in CCASS by this participant"))],
  },
  summary: {
    name: "summary",
    rowPer: "settlement date × stock",
    description: "The totals at the top of each stock's shareholding page, and its issued shares.",
    key: ["date", "stock_code"],
    columns: [
      date,
      stockCode,
      stockName,
      named("issued_shares", shares("issued shares (or units) of the stock, as HKEX shows it; the denominator of every percentage")),
      named("intermediaries_shares", shares("shares held by market intermediaries (custodians, brokers)")),
      named("intermediaries_count", count("number of market intermediaries holding the stock")),
      named("consenting_shares", shares("shares held by consenting investor participants")),
      named("consenting_count", count("number of consenting investor participants")),
      named("nonconsenting_shares", shares("shares held by non-consenting investor participants (not listed by name)")),
      named("nonconsenting_count", count("number of non-consenting investor participants")),
      named("total_shares", shares("total shares held in CCASS")),
      named("total_count", count("total number of participants holding the stock")),
      securityId,
    ],
  },
  stocks: {
    name: "stocks",
    rowPer: "settlement date × security on HKEX's stock list",
    description: "The stock list HKEX published for that date.",
    key: ["date", "stock_code"],
    columns: [date, stockCode, stockName, securityId],
  },
  participants: {
    name: "participants",
    rowPer: "settlement date × participant seen (on a holdings page or the participant list)",
    description: "Every participant that appeared that day, with the name and address shown.",
    key: ["date", "participant_key"],
    columns: [
      date,
      participantKey,
      { name: "participant_id", type: "VARCHAR", nullable: true, description: "CCASS participant ID; NULL for consenting investor participants" },
      { name: "name", type: "VARCHAR", nullable: false, description: "participant name as shown" },
      { name: "address", type: "VARCHAR", nullable: true, description: "address as shown on holdings pages; NULL when blank or only on the participant list" },
    ],
  },
  southbound: {
    name: "southbound",
    rowPer: "settlement date × Stock Connect southbound stock",
    description: "Holdings of mainland investors through Stock Connect (HKEX's southbound table).",
    key: ["date", "stock_code"],
    columns: [
      date,
      stockCode,
      stockName,
      named("shares", shares("shares held through Stock Connect southbound")),
      {
        name: "reported_pct",
        type: "DOUBLE",
        nullable: true,
        unit: "percent",
        description: "HKEX's own rounded percentage of issued shares, for reference only (compute shares / issued_shares instead)",
      },
    ],
  },
};

/** `participants_dim.parquet` at the dataset root: not partitioned, rebuilt after every run. */
export const PARTICIPANTS_DIM: TableDef = {
  name: "participants_dim",
  rowPer: "participant (participant_key)",
  description: "Each participant as last seen, with the first and last date it appeared; rebuilt from `participants` after every run.",
  key: ["participant_key"],
  columns: [
    participantKey,
    { name: "participant_id", type: "VARCHAR", nullable: true, description: "CCASS participant ID on the last date seen; NULL for consenting investor participants" },
    { name: "name", type: "VARCHAR", nullable: false, description: "name on the last date seen" },
    { name: "address", type: "VARCHAR", nullable: true, description: "address on the last date seen" },
    { name: "first_seen", type: "DATE", nullable: false, description: "first settlement date the participant appears in `participants`" },
    { name: "last_seen", type: "DATE", nullable: false, description: "last settlement date the participant appears in `participants`" },
  ],
};

/** Column names of a table in file order, comma-separated (for SELECT lists). */
export function columnList(t: TableDef): string {
  return t.columns.map((c) => c.name).join(", ");
}

/** `NULL::TYPE AS name, …`: an empty stand-in with the table's columns, for queries over no files. */
export function emptyColumns(t: TableDef): string {
  return t.columns.map((c) => `NULL::${c.type} AS ${c.name}`).join(", ");
}
