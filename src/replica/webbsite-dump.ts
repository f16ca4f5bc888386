// The replica's market written as a Webb-site archive (docs/ARCHIVE.md): the `ccass` and `enigma`
// tables in mysqldump's format, so the archive importer (src/archive/) is proved against a dump
// whose every row is known. The holdings table stores only changes, as Webb-site's does; the
// dump is shaped like a real one: version comments, `--` comments, LOCK TABLES, several INSERT
// statements per table, BIT columns in all three notations, NULLs, one gzip file and one plain.
//
// Beyond the market's own securities it adds three securities only the dump has, on codes the
// replica never allocates (3xxxx): one that changes code half way (GEM → Main Board style) and two
// that use one code one after the other (a recycled code), with names carrying quotes,
// backslashes, non-ASCII letters and (one) Latin-1 bytes; and a consenting investor with such a
// name. Tests compare the market's securities row for row and check the extra ones by their own rules.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { addDays, isSettlementDay } from "../lib/calendar.ts";
import type { ReplicaMarket } from "./market.ts";

export interface DumpWriteOptions {
  /** folder for ccass.sql.gz and enigma.sql */
  dir: string;
  /** start a new INSERT statement past this many bytes (mysqldump: about 1 MB) */
  maxStatementBytes?: number;
}

export interface DumpWriteSummary {
  files: string[];
  changeRows: number;
  dailylogRows: number;
  bytes: number;
}

/** The dump-only securities: issue IDs, codes and when (as a fraction of the window) they switch. */
export const DUMP_ONLY = {
  /** one security that changes code half way */
  movedIssue: 900001,
  movedCodes: ["39001", "39002"] as const,
  /** two securities, one after the other, on one code */
  recycledIssues: [900002, 900003] as const,
  recycledCode: "39003",
  /** organisation names with the characters a dump must escape, and one written in Latin-1 */
  names: ["O'Brien \\ \"Pacific\" Holdings 中國", "Ünïcödé Pàcific (Re-listed)", "Café Société Ltd"] as const,
  latin1NameIndex: 2,
  /** a consenting investor only the dump has */
  investorName: "D'ARCY \\ ZOË",
  /** a broker only the dump has, renamed half way (an `oldnames` row) */
  broker: { id: "B99998", oldName: 'OLD "NORTHERN" SECURITIES LTD', name: "NORTHERN SECURITIES (HK) LTD" },
} as const;

/** The first issueID of the market's securities (its i-th stock, in code order, is ISSUE_BASE + i). */
export const ISSUE_BASE = 1000;

/** Bytes of mysqldump text, built without a string per row. */
class ByteBuilder {
  buf = Buffer.allocUnsafe(1 << 16);
  at = 0;
  private ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
  text(s: string, encoding: "utf8" | "latin1" = "utf8"): void {
    this.ensure(s.length * 3);
    this.at += this.buf.write(s, this.at, encoding);
  }
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.at));
    this.at = 0;
    return out;
  }
}

type Value = string | number | null | { bits: number; style: "binary" | "b" | "hex" } | { latin1: string };

/** One dump file: text appended, written plain or as gzip members of about 1 MB each. */
class DumpFile {
  private readonly fd: number;
  private readonly b = new ByteBuilder();
  private statement = 0;
  private inInsert = false;
  private table = "";
  bytes = 0;
  constructor(
    readonly file: string,
    private readonly gzip: boolean,
    private readonly maxStatementBytes: number,
  ) {
    this.fd = openSync(file, "w");
  }
  private flush(force = false): void {
    if (!force && this.b.at < 1 << 20) return;
    const chunk = this.b.take();
    this.bytes += chunk.length;
    writeSync(this.fd, this.gzip ? gzipSync(chunk) : chunk);
  }
  line(s: string): void {
    this.endInsert();
    this.b.text(s + "\n");
    this.flush();
  }
  header(database: string): void {
    this.line(`-- MySQL dump 10.13  Distrib 8.0.37, for Linux (x86_64)\n--\n-- Host: localhost    Database: ${database}\n-- ------------------------------------------------------\n-- Server version\t8.0.37`);
    this.line("\n/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!50503 SET NAMES utf8mb4 */;\n/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;");
  }
  createTable(table: string, columns: readonly string[], keys: string, charset: string): void {
    this.line(`\n--\n-- Table structure for table \`${table}\`\n--\n\nDROP TABLE IF EXISTS \`${table}\`;\n/*!40101 SET @saved_cs_client     = @@character_set_client */;\n/*!50503 SET character_set_client = utf8mb4 */;`);
    this.line(`CREATE TABLE \`${table}\` (\n${columns.map((c) => `  ${c},`).join("\n")}\n  ${keys}\n) ENGINE=InnoDB DEFAULT CHARSET=${charset};\n/*!40101 SET character_set_client = @saved_cs_client */;`);
    this.line(`\n--\n-- Dumping data for table \`${table}\`\n--\n\nLOCK TABLES \`${table}\` WRITE;\n/*!40000 ALTER TABLE \`${table}\` DISABLE KEYS */;`);
    this.table = table;
  }
  row(values: readonly Value[]): void {
    if (!this.inInsert) {
      this.b.text(`INSERT INTO \`${this.table}\` VALUES `);
      this.inInsert = true;
      this.statement = this.b.at;
    } else this.b.text(",");
    this.b.text("(");
    values.forEach((v, i) => {
      if (i > 0) this.b.text(",");
      if (v === null) this.b.text("NULL");
      else if (typeof v === "number") this.b.text(String(v));
      else if (typeof v === "string") this.b.text(`'${escape(v)}'`);
      else if ("latin1" in v) this.b.text(`'${escape(v.latin1)}'`, "latin1");
      else if (v.style === "binary") this.b.text(`_binary '${v.bits === 0 ? "\\0" : String.fromCharCode(v.bits)}'`);
      else if (v.style === "b") this.b.text(`b'${v.bits.toString(2)}'`);
      else this.b.text(`0x${v.bits.toString(16).padStart(2, "0")}`);
    });
    this.b.text(")");
    if (this.b.at - this.statement > this.maxStatementBytes) this.endInsert();
    this.flush();
  }
  private endInsert(): void {
    if (!this.inInsert) return;
    this.b.text(";\n");
    this.inInsert = false;
  }
  endTable(): void {
    this.line(`/*!40000 ALTER TABLE \`${this.table}\` ENABLE KEYS */;\nUNLOCK TABLES;`);
  }
  close(): void {
    this.line("/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n\n-- Dump completed on 2025-10-31 12:00:00");
    this.flush(true);
    closeSync(this.fd);
  }
}

/** mysqldump's escaping of a string's content. */
function escape(s: string): string {
  return s.replace(/[\\'"\n\r\0\x1a]/g, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\0" ? "\\0" : c === "\x1a" ? "\\Z" : `\\${c}`));
}

const KIND_TYPE: Record<string, [number, string, string]> = {
  equity: [0, "O", "Ordinary shares"],
  etf: [44, "ETF", "Exchange-traded fund units"],
  reit: [6, "REIT", "Real estate investment trust units"],
  warrant: [2, "W", "Derivative warrants"],
  cbbc: [46, "CBBC", "Callable bull/bear contracts"],
  debt: [40, "BOND", "Debt securities"],
};

interface IssueRows {
  issueID: number;
  /** (partID, day, holding) changes of this issue, any order: sorted by (partID, day) when written */
  changes: number[];
  /** dailylog rows in day order */
  daily: Value[][];
  issued: Value[][];
}

/** Write `market` as Webb-site's dump files in `opts.dir`. */
export function writeWebbsiteDump(market: ReplicaMarket, opts: DumpWriteOptions): DumpWriteSummary {
  mkdirSync(opts.dir, { recursive: true });
  const max = opts.maxStatementBytes ?? 1 << 20;
  const dates = market.dates;
  const ccass = new DumpFile(path.join(opts.dir, "ccass.sql.gz"), true, max);
  const enigma = new DumpFile(path.join(opts.dir, "enigma.sql"), false, max);
  const extraInvestor = market.participants.all.length; // index of the dump-only investor
  const partID = (index: number) => index + 1;
  let changeRows = 0;
  let dailylogRows = 0;

  // ---- ccass.holdings: issue by issue, the changes of each participant in (partID, date) order
  ccass.header("ccass");
  ccass.createTable(
    "holdings",
    ["`partID` smallint unsigned NOT NULL", "`issueID` mediumint unsigned NOT NULL", "`holding` bigint NOT NULL DEFAULT '0'", "`atDate` date NOT NULL"],
    "PRIMARY KEY (`issueID`,`partID`,`atDate`)",
    "latin1",
  );
  const dailyOf: IssueRows[] = [];
  const emit = (rows: IssueRows) => {
    const c = rows.changes;
    const order = Array.from({ length: c.length / 3 }, (_, i) => i).sort((a, b) => c[a * 3]! - c[b * 3]! || c[a * 3 + 1]! - c[b * 3 + 1]!);
    for (const i of order) ccass.row([c[i * 3]!, rows.issueID, c[i * 3 + 2]!, dates[c[i * 3 + 1]!]!]);
    changeRows += order.length;
    dailyOf.push({ ...rows, changes: [] });
  };
  market.stocks.forEach((stock, si) => {
    const rows: IssueRows = { issueID: ISSUE_BASE + si, changes: [], daily: [], issued: [] };
    const held = new Map<number, number>();
    let lastIssued = -1;
    const listed = market.listedDays(stock.code)!;
    for (let t = listed.from; t < listed.to; t++) {
      const got = market.holdingsWithHolders(dates[t]!, stock.code);
      if (!got) continue;
      const { page, holders } = got;
      const seen = new Set<number>();
      page.participants.forEach((p, k) => {
        const id = partID(holders[k]!);
        seen.add(id);
        if (held.get(id) !== p.shares) rows.changes.push(id, t, p.shares);
        held.set(id, p.shares);
      });
      for (const [id] of held) if (!seen.has(id)) {
        rows.changes.push(id, t, 0); // a 0 ends a position
        held.delete(id);
      }
      const s = page.summary;
      const sorted = page.participants.map((p) => p.shares).sort((a, b) => b - a);
      const top = (k: number) => sorted.slice(0, k).reduce((x, y) => x + y, 0);
      rows.daily.push([dates[t]!, rows.issueID, s.intermediaries.shares, s.intermediaries.participants, s.nonConsenting.shares, s.nonConsenting.participants, s.consenting.shares, s.consenting.participants, top(5), top(10), null, null]);
      if (page.issuedShares !== lastIssued) rows.issued.push([rows.issueID, dates[t]!, page.issuedShares]);
      lastIssued = page.issuedShares;
    }
    // Delisted inside the window: Webb-site sets the last holdings to 0 on the delisting date.
    if (listed.to < dates.length) for (const [id] of held) rows.changes.push(id, listed.to, 0);
    emit(rows);
  });
  for (const extra of dumpOnlyIssues(dates.length)) {
    const rows: IssueRows = { issueID: extra.issueID, changes: [], daily: [], issued: [] };
    const a = partID(extraInvestor + 1), b = partID(extraInvestor);
    for (let t = extra.from; t < extra.to; t++) {
      const x = 1000 * (1 + ((t * 7 + extra.issueID) % 5));
      const y = t % 3 === 0 ? 0 : 500 * (1 + (t % 4));
      const prev = t === extra.from ? null : [1000 * (1 + (((t - 1) * 7 + extra.issueID) % 5)), (t - 1) % 3 === 0 ? 0 : 500 * (1 + ((t - 1) % 4))];
      if (!prev || prev[0] !== x) rows.changes.push(a, t, x);
      if ((!prev && y > 0) || (prev && prev[1] !== y)) rows.changes.push(b, t, y);
      rows.daily.push([dates[t]!, extra.issueID, x, 1, 250, 3, y, y > 0 ? 1 : 0, x + y, x + y, null, null]);
      if (t === extra.from) rows.issued.push([extra.issueID, dates[t]!, 1e6]);
    }
    emit(rows);
  }
  ccass.endTable();

  // ---- ccass.parthold: the same rows in participant order; importers skip it (a table not read)
  ccass.createTable("parthold", ["`partID` smallint unsigned NOT NULL", "`issueID` mediumint unsigned NOT NULL", "`holding` bigint NOT NULL", "`atDate` date NOT NULL"], "PRIMARY KEY (`partID`,`issueID`,`atDate`)", "latin1");
  ccass.row([1, ISSUE_BASE, 100, dates[0]!]);
  ccass.endTable();

  // ---- ccass.dailylog in (issueID, atDate) order
  ccass.createTable(
    "dailylog",
    ["`atDate` date NOT NULL", "`issueID` mediumint unsigned NOT NULL", "`intermedHldg` bigint DEFAULT NULL", "`intermedCnt` smallint unsigned DEFAULT NULL", "`NCIPhldg` bigint DEFAULT NULL", "`NCIPcnt` mediumint unsigned DEFAULT NULL", "`CIPhldg` bigint DEFAULT NULL", "`CIPcnt` smallint unsigned DEFAULT NULL", "`c5` bigint DEFAULT NULL", "`c10` bigint DEFAULT NULL", "`CustHldg` bigint DEFAULT NULL", "`BrokHldg` bigint DEFAULT NULL"],
    "PRIMARY KEY (`issueID`,`atDate`)",
    "latin1",
  );
  for (const r of dailyOf) for (const d of r.daily) {
    ccass.row(d);
    dailylogRows++;
  }
  ccass.endTable();

  // ---- ccass.participants and oldnames (renames of a long market)
  ccass.createTable(
    "participants",
    ["`partID` smallint unsigned NOT NULL AUTO_INCREMENT", "`CCASSID` varchar(6) DEFAULT NULL", "`partName` varchar(255) NOT NULL", "`atDate` date DEFAULT NULL", "`addedDate` date DEFAULT NULL", "`personID` int DEFAULT NULL", "`hadHoldings` bit(1) NOT NULL DEFAULT b'0'"],
    "PRIMARY KEY (`partID`)",
    "utf8mb3",
  );
  const last = dates.length - 1;
  const renames: Value[][] = [];
  market.participants.all.forEach((p, i) => {
    const lastName = market.participantNameOn(i, last);
    ccass.row([partID(i), p.id, lastName, dates[last]!, dates[0]!, null, { bits: 1, style: "binary" }]);
    if (market.participantNameOn(i, 0) !== lastName) {
      let t = 1;
      while (market.participantNameOn(i, t) === market.participantNameOn(i, 0)) t++;
      renames.push([renames.length + 1, market.participantNameOn(i, 0), dates[t]!, partID(i)]);
    }
  });
  ccass.row([partID(extraInvestor), null, DUMP_ONLY.investorName, null, dates[0]!, null, { bits: 0, style: "binary" }]);
  ccass.row([partID(extraInvestor + 1), DUMP_ONLY.broker.id, DUMP_ONLY.broker.name, null, dates[0]!, null, { bits: 1, style: "binary" }]);
  renames.push([renames.length + 1, DUMP_ONLY.broker.oldName, dates[Math.max(1, Math.floor(dates.length / 2))] ?? dates[0]!, partID(extraInvestor + 1)]);
  ccass.endTable();
  ccass.createTable("oldnames", ["`oldNameID` int NOT NULL AUTO_INCREMENT", "`oldName` varchar(255) NOT NULL", "`dateChanged` date NOT NULL", "`partID` smallint unsigned NOT NULL"], "PRIMARY KEY (`oldNameID`)", "utf8mb3");
  for (const r of renames) ccass.row(r);
  ccass.endTable();

  // ---- ccass.calendar (BIT as b'…') and a few quotes (BIT as 0x…, floats): kept out of the dataset
  ccass.createTable("calendar", ["`tradeDate` date NOT NULL", "`settleDate` date NOT NULL", "`deferred` bit(1) NOT NULL DEFAULT b'0'"], "PRIMARY KEY (`tradeDate`)", "latin1");
  for (const d of dates) {
    let trade = addDays(d, -1);
    while (!isSettlementDay(trade)) trade = addDays(trade, -1);
    ccass.row([trade, d, { bits: 0, style: "b" }]);
  }
  ccass.endTable();
  ccass.createTable("quotes", ["`issueID` mediumint unsigned NOT NULL", "`atDate` date NOT NULL", "`closing` float DEFAULT NULL", "`vol` bigint DEFAULT NULL", "`susp` bit(1) NOT NULL DEFAULT b'0'"], "PRIMARY KEY (`issueID`,`atDate`)", "latin1");
  ccass.row([ISSUE_BASE, dates[0]!, 12.34, 1.5e6, { bits: 0, style: "hex" }]);
  ccass.row([ISSUE_BASE, dates[1] ?? dates[0]!, -0.5e-3, null, { bits: 1, style: "hex" }]);
  ccass.endTable();
  ccass.close();

  // ---- enigma: the security master
  enigma.header("enigma");
  enigma.createTable("sectypes", ["`typeID` tinyint unsigned NOT NULL", "`typeShort` varchar(10) DEFAULT NULL", "`typeLong` varchar(255) DEFAULT NULL"], "PRIMARY KEY (`typeID`)", "utf8mb3");
  for (const [id, short, long] of Object.values(KIND_TYPE)) enigma.row([id, short, long]);
  enigma.endTable();
  enigma.createTable("organisations", ["`PersonID` int NOT NULL", "`Name1` varchar(255) NOT NULL", "`cName` varchar(255) DEFAULT NULL"], "PRIMARY KEY (`PersonID`)", "utf8mb3");
  market.stocks.forEach((s, si) => enigma.row([50000 + si, s.name, market.stockDetails(s.code)?.nameZh ?? null]));
  DUMP_ONLY.names.forEach((name, k) => enigma.row([60000 + k, k === DUMP_ONLY.latin1NameIndex ? { latin1: name } : name, null]));
  enigma.endTable();
  enigma.createTable("issue", ["`ID1` int NOT NULL", "`issuer` int DEFAULT NULL", "`typeID` tinyint unsigned NOT NULL", "`expmat` date DEFAULT NULL"], "PRIMARY KEY (`ID1`)", "utf8mb3");
  market.stocks.forEach((s, si) => enigma.row([ISSUE_BASE + si, 50000 + si, KIND_TYPE[s.kind]![0], null]));
  for (const [k, e] of dumpOnlyIssues(dates.length).entries()) enigma.row([e.issueID, 60000 + k, 0, null]);
  enigma.endTable();
  enigma.createTable(
    "stocklistings",
    ["`ID` int NOT NULL AUTO_INCREMENT", "`IssueID` int NOT NULL", "`StockCode` varchar(8) NOT NULL", "`StockExID` tinyint unsigned NOT NULL", "`FirstTradeDate` date DEFAULT NULL", "`FinalTradeDate` date DEFAULT NULL", "`DelistDate` date DEFAULT NULL"],
    "PRIMARY KEY (`ID`)",
    "utf8mb3",
  );
  let listingId = 1;
  market.stocks.forEach((s, si) => {
    const l = market.listedDays(s.code)!;
    const delisted = l.to < dates.length;
    const board = s.kind === "reit" ? 23 : market.stockDetails(s.code)?.gem ? 20 : 1;
    // Webb-site's codes carry no leading zeros
    enigma.row([listingId++, ISSUE_BASE + si, String(Number(s.code)), board, dates[l.from]!, delisted ? dates[l.to - 1]! : null, delisted ? dates[l.to]! : null]);
  });
  for (const e of dumpOnlyIssues(dates.length)) for (const [code, from, to] of e.listings) enigma.row([listingId++, e.issueID, code, code === DUMP_ONLY.movedCodes[0] ? 20 : 1, dates[from]!, to < dates.length ? dates[to - 1]! : null, to < dates.length ? dates[to]! : null]);
  enigma.endTable();
  enigma.createTable("issuedshares", ["`issueID` int NOT NULL", "`atDate` date NOT NULL", "`outstanding` double DEFAULT NULL"], "PRIMARY KEY (`issueID`,`atDate`)", "utf8mb3");
  for (const r of dailyOf) for (const i of r.issued) enigma.row(i);
  enigma.endTable();
  enigma.close();
  return { files: [ccass.file, enigma.file], changeRows, dailylogRows, bytes: ccass.bytes + enigma.bytes };
}

/** The dump-only securities over a window of `days` days: listed days [from, to) and their listings. */
export function dumpOnlyIssues(days: number): { issueID: number; from: number; to: number; listings: [string, number, number][] }[] {
  const half = Math.max(1, Math.floor(days / 2));
  return [
    { issueID: DUMP_ONLY.movedIssue, from: 0, to: days, listings: [[DUMP_ONLY.movedCodes[0], 0, half], [DUMP_ONLY.movedCodes[1], half, days]] },
    { issueID: DUMP_ONLY.recycledIssues[0], from: 0, to: half, listings: [[DUMP_ONLY.recycledCode, 0, half]] },
    { issueID: DUMP_ONLY.recycledIssues[1], from: half, to: days, listings: [[DUMP_ONLY.recycledCode, half, days]] },
  ];
}
