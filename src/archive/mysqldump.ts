// A streaming reader of mysqldump output (docs/ARCHIVE.md "Reading the dumps"): plain or gzip text in,
// one callback per row of each table the caller asks for out. Values are read byte by byte from the
// file's Buffers: no regular expression and no closure per value (a table's row sink is the only
// callback), so a dump is read at tens of MB per CPU second and in constant memory: only the row
// being read is carried from one chunk to the next.
//
// What it understands (mysqldump 8 with its default options, and the variants of `--hex-blob`,
// `--complete-insert`, BIT columns): `CREATE TABLE` (the column order, i.e. the order of values),
// `INSERT INTO \`t\` [(cols)] VALUES (…),(…);` any number of times, `--` line comments, `/* … */`
// and version comments `/*!NNNNN … */;`, and every other statement skipped whole. Values:
//   numbers           123, -4, 1.5e3            → number
//   strings, dates    'O\'Brien', '2010-01-04'  → string (backslash escapes and '' decoded)
//   NULL                                         → null
//   BIT and binary    _binary '\0', b'1', 0x01, X'01' → number (big-endian value of the bytes)
// Text is UTF-8 when its bytes are valid UTF-8, otherwise Latin-1 (each byte one character): the
// archive's `latin1` tables hold names in that encoding, and a byte sequence that is valid UTF-8 is
// almost never Latin-1 text. Each fallback is counted (DumpStats.latin1Strings).
import { createReadStream } from "node:fs";
import { isUtf8 } from "node:buffer";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";

export type DumpValue = string | number | null;

// Node's own slice decoders (Buffer#toString's targets, without its argument checks); typed here
// because @types/node leaves them out.
declare module "node:buffer" {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
    utf8Slice(start: number, end: number): string;
  }
}

/** Receives the rows of one table; `row` is reused for the next row (copy what you keep). */
export type RowSink = (row: DumpValue[]) => void;

export interface DumpReadOptions {
  /** Called at each CREATE TABLE: return a sink for its rows, or null to skip them (still checked for syntax). */
  onTable(table: string, columns: readonly string[]): RowSink | null;
  /** Bytes per read (default 1 MiB). */
  chunkBytes?: number;
  /** Awaited after each chunk: where a consumer flushes what the sinks gathered (the sinks are synchronous). */
  afterChunk?: () => Promise<void>;
}

export interface DumpStats {
  file: string;
  /** bytes of dump text (after decompression) */
  bytes: number;
  rows: number;
  /** rows of skipped tables */
  skippedRows: number;
  tables: string[];
  /** strings that were not valid UTF-8 and were read as Latin-1 */
  latin1Strings: number;
}

/** A dump that is not what mysqldump writes, or ends mid-statement: names the file and the byte offset. */
export class DumpFormatError extends Error {
  override readonly name: string = "DumpFormatError";
  constructor(
    readonly file: string,
    /** offset in the dump text (after decompression) */
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`${file} at byte ${offset}: ${problem}`);
  }
}

/** The dump ends inside a statement (a file cut short, or a gzip stream cut short). */
export class TruncatedDumpError extends DumpFormatError {
  override readonly name = "TruncatedDumpError";
}

const NEED_MORE = -1;
// Byte values used by the scanner.
const SPACE = 32, TAB = 9, LF = 10, CR = 13;
const QUOTE = 39, DQUOTE = 34, BACKTICK = 96, BACKSLASH = 92;
const LPAREN = 40, RPAREN = 41, COMMA = 44, SEMI = 59, MINUS = 45, PLUS = 43, DOT = 46, SLASH = 47, STAR = 42;
const ZERO = 48, NINE = 57;

function isSpace(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

/** Where a statement is: outside (between statements) or inside the VALUES of an INSERT. */
const enum Mode {
  Top,
  /** before a tuple's "(" */
  TupleStart,
  /** after a tuple's ")": "," or ";" */
  TupleEnd,
}

/**
 * The parser proper: fed Buffers in order, it returns how much it consumed; the caller keeps the
 * rest and prepends it to the next chunk (the rest is at most one statement header or one row).
 */
class DumpParser {
  private mode = Mode.Top;
  private sink: RowSink | null = null;
  private columns = 0;
  private readonly sinks = new Map<string, { sink: RowSink | null; columns: number }>();
  private readonly row: DumpValue[] = [];
  private scratch: Buffer = Buffer.allocUnsafe(4096);
  /** the value parsed last (set by the value scanners, to avoid returning a pair) */
  private value: DumpValue = null;
  private table = "";
  private rowLatin1 = 0;
  private readonly dates = new Map<number, string>();
  readonly stats: DumpStats;

  constructor(
    private readonly file: string,
    private readonly options: DumpReadOptions,
  ) {
    this.stats = { file, bytes: 0, rows: 0, skippedRows: 0, tables: [], latin1Strings: 0 };
  }

  private fail(base: number, at: number, problem: string): never {
    throw new DumpFormatError(this.file, base + at, problem);
  }

  /** Consume what can be consumed of buf (which starts at text offset base); returns the end of the last complete unit. */
  parse(buf: Buffer, base: number, final: boolean): number {
    let p = 0;
    const n = buf.length;
    for (;;) {
      if (this.mode === Mode.Top) {
        while (p < n && isSpace(buf[p]!)) p++;
        if (p >= n) return p;
        const next = this.topStatement(buf, p, base, final);
        if (next === NEED_MORE) return p;
        p = next;
      } else if (this.mode === Mode.TupleEnd) {
        while (p < n && isSpace(buf[p]!)) p++;
        if (p >= n) return p;
        const c = buf[p]!;
        if (c === COMMA) {
          this.mode = Mode.TupleStart;
          p++;
        } else if (c === SEMI) {
          this.mode = Mode.Top;
          p++;
        } else this.fail(base, p, `expected "," or ";" after a row of \`${this.table}\``);
      } else {
        while (p < n && isSpace(buf[p]!)) p++;
        if (p >= n) return p;
        if (buf[p] !== LPAREN) this.fail(base, p, `expected "(" to start a row of \`${this.table}\``);
        const next = this.tuple(buf, p + 1, base);
        if (next === NEED_MORE) {
          if (final) throw new TruncatedDumpError(this.file, base + p, `the dump ends inside a row of \`${this.table}\``);
          return p;
        }
        p = next;
        this.mode = Mode.TupleEnd;
      }
    }
  }

  /** A statement outside INSERT's values: comments skipped, CREATE TABLE read, INSERT's header read. */
  private topStatement(buf: Buffer, p: number, base: number, final: boolean): number {
    const n = buf.length;
    const c = buf[p]!;
    if (c === MINUS && buf[p + 1] === MINUS) {
      const eol = buf.indexOf(LF, p);
      if (eol < 0) return final ? n : NEED_MORE;
      return eol + 1;
    }
    if (c === SLASH && buf[p + 1] === STAR) {
      const end = buf.indexOf("*/", p + 2, "latin1");
      if (end < 0) {
        if (final) throw new TruncatedDumpError(this.file, base + p, "the dump ends inside a /* comment */");
        return NEED_MORE;
      }
      let q = end + 2;
      while (q < n && (buf[q] === SPACE || buf[q] === TAB)) q++;
      if (q < n && buf[q] === SEMI) q++;
      else if (q >= n && !final) return NEED_MORE;
      return q;
    }
    if (startsWithWord(buf, p, "INSERT")) {
      // Only the header is needed here: the values follow, read row by row.
      const values = findWord(buf, p, "VALUES");
      if (values < 0) {
        if (final) throw new TruncatedDumpError(this.file, base + p, "the dump ends inside an INSERT statement");
        if (n - p > 1 << 16) this.fail(base, p, "INSERT without VALUES");
        return NEED_MORE;
      }
      const header = buf.toString("latin1", p, values);
      const m = /^INSERT\s+(?:IGNORE\s+)?INTO\s+`([^`]+)`\s*(?:\(([^)]*)\))?\s*$/i.exec(header);
      if (!m) this.fail(base, p, `unreadable INSERT header ${JSON.stringify(header.slice(0, 80))}`);
      const table = m[1]!;
      const known = this.sinks.get(table);
      if (!known) this.fail(base, p, `INSERT INTO \`${table}\` before its CREATE TABLE (the column order is unknown)`);
      if (m[2] !== undefined) {
        const listed = m[2].split(",").length;
        if (listed !== known.columns) this.fail(base, p, `INSERT INTO \`${table}\` lists ${listed} columns, CREATE TABLE has ${known.columns}`);
      }
      this.table = table;
      this.sink = known.sink;
      this.columns = known.columns;
      this.mode = Mode.TupleStart;
      return values + "VALUES".length;
    }
    const end = statementEnd(buf, p);
    if (end < 0) {
      if (final) throw new TruncatedDumpError(this.file, base + p, "the dump ends inside a statement");
      if (n - p > 1 << 24) this.fail(base, p, "statement longer than 16 MiB that is not an INSERT");
      return NEED_MORE;
    }
    if (startsWithWord(buf, p, "CREATE")) this.createTable(buf.toString("latin1", p, end), base + p);
    return end + 1;
  }

  private createTable(sql: string, offset: number): void {
    const m = /^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?`([^`]+)`\s*\(/i.exec(sql);
    if (!m) return; // CREATE VIEW, CREATE DATABASE…: nothing to read
    const table = m[1]!;
    const columns: string[] = [];
    for (const line of sql.slice(m[0].length).split("\n")) {
      const col = /^\s*`([^`]+)`\s/.exec(line);
      if (col) columns.push(col[1]!);
    }
    if (columns.length === 0) throw new DumpFormatError(this.file, offset, `CREATE TABLE \`${table}\` with no columns`);
    const sink = this.options.onTable(table, columns);
    this.sinks.set(table, { sink, columns: columns.length });
    if (!this.stats.tables.includes(table)) this.stats.tables.push(table);
  }

  /** One row after its "(": returns the position after ")", or NEED_MORE. Emits the row to the sink. */
  private tuple(buf: Buffer, p: number, base: number): number {
    const n = buf.length;
    const row = this.row;
    let k = 0;
    this.rowLatin1 = 0; // counted when the row is complete (a row cut by a chunk end is read again)
    for (;;) {
      while (p < n && isSpace(buf[p]!)) p++;
      if (p >= n) return NEED_MORE;
      p = this.scanValue(buf, p, base);
      if (p === NEED_MORE) return NEED_MORE;
      if (k < this.columns) row[k] = this.value;
      k++;
      while (p < n && isSpace(buf[p]!)) p++;
      if (p >= n) return NEED_MORE;
      const c = buf[p]!;
      if (c === COMMA) {
        p++;
        continue;
      }
      if (c === RPAREN) {
        if (k !== this.columns) this.fail(base, p, `a row of \`${this.table}\` has ${k} values, its CREATE TABLE ${this.columns} columns`);
        this.stats.latin1Strings += this.rowLatin1;
        if (this.sink !== null) {
          row.length = k;
          this.sink(row);
          this.stats.rows++;
        } else this.stats.skippedRows++;
        return p + 1;
      }
      this.fail(base, p, `expected "," or ")" after a value in \`${this.table}\``);
    }
  }

  /** One value at p; sets this.value and returns the position after it, or NEED_MORE. */
  private scanValue(buf: Buffer, p: number, base: number): number {
    const c = buf[p]!;
    if (c === QUOTE) return this.scanString(buf, p + 1, base, false);
    if ((c >= ZERO && c <= NINE) || c === MINUS || c === PLUS || c === DOT) {
      if (c === ZERO && (buf[p + 1] === 120 || buf[p + 1] === 88)) return this.scanHexNumber(buf, p + 2, base); // 0x…
      return this.scanNumber(buf, p, base);
    }
    if (c === 78 || c === 110) {
      // NULL
      if (p + 4 > buf.length) return NEED_MORE;
      if ((buf[p + 1]! | 32) === 117 && (buf[p + 2]! | 32) === 108 && (buf[p + 3]! | 32) === 108) {
        this.value = null;
        return p + 4;
      }
      this.fail(base, p, "unreadable value (expected NULL)");
    }
    if (c === 95) {
      // _binary '…' (or another introducer such as _utf8mb4 '…')
      let q = p + 1;
      while (q < buf.length && ((buf[q]! | 32) >= 97 && (buf[q]! | 32) <= 122 || (buf[q]! >= ZERO && buf[q]! <= NINE))) q++;
      while (q < buf.length && isSpace(buf[q]!)) q++;
      if (q >= buf.length) return NEED_MORE;
      if (buf[q] !== QUOTE) this.fail(base, q, "expected a quoted value after a character set introducer");
      const binary = buf.toString("latin1", p, p + 7) === "_binary";
      return this.scanString(buf, q + 1, base, binary);
    }
    if ((c === 98 || c === 66) && buf[p + 1] === QUOTE) return this.scanBits(buf, p + 2, base);
    if ((c === 120 || c === 88) && buf[p + 1] === QUOTE) {
      const end = buf.indexOf(QUOTE, p + 2);
      if (end < 0) return NEED_MORE;
      this.value = hexValue(buf, p + 2, end, this, base);
      return end + 1;
    }
    if (p + 1 >= buf.length) return NEED_MORE;
    this.fail(base, p, `unreadable value starting ${JSON.stringify(String.fromCharCode(c))}`);
  }

  private scanNumber(buf: Buffer, p: number, base: number): number {
    const n = buf.length;
    let q = p;
    let neg = false;
    if (buf[q] === MINUS || buf[q] === PLUS) neg = buf[q++] === MINUS;
    let v = 0;
    let digits = 0;
    while (q < n) {
      const d = buf[q]! - ZERO;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      digits++;
      q++;
    }
    if (q >= n) return NEED_MORE;
    const c = buf[q]!;
    if (c === DOT || c === 101 || c === 69) {
      // decimal or exponent: rare in the archive (floats of quotes); let Number parse the text
      while (q < n && ((buf[q]! >= ZERO && buf[q]! <= NINE) || buf[q] === DOT || buf[q] === 101 || buf[q] === 69 || buf[q] === MINUS || buf[q] === PLUS)) q++;
      if (q >= n) return NEED_MORE;
      const x = Number(buf.toString("latin1", p, q));
      if (!Number.isFinite(x)) this.fail(base, p, "unreadable number");
      this.value = x;
      return q;
    }
    if (digits === 0) this.fail(base, p, "unreadable number");
    // Beyond 2^53 a number loses digits: refuse rather than import a wrong holding.
    if (digits > 15 && !Number.isSafeInteger(v)) this.fail(base, p, "integer beyond 2^53");
    this.value = neg ? -v : v;
    return q;
  }

  private scanHexNumber(buf: Buffer, p: number, base: number): number {
    let q = p;
    while (q < buf.length && isHexDigit(buf[q]!)) q++;
    if (q >= buf.length) return NEED_MORE;
    this.value = hexValue(buf, p, q, this, base);
    return q;
  }

  private scanBits(buf: Buffer, p: number, base: number): number {
    let v = 0;
    let q = p;
    for (; q < buf.length; q++) {
      const c = buf[q]!;
      if (c === QUOTE) {
        this.value = v;
        return q + 1;
      }
      if (c !== ZERO && c !== ZERO + 1) this.fail(base, q, "unreadable b'…' value");
      v = v * 2 + (c - ZERO);
    }
    return NEED_MORE;
  }

  /** A quoted string whose first content byte is at p. */
  private scanString(buf: Buffer, p: number, base: number, binary: boolean): number {
    const n = buf.length;
    let q = p;
    let high = 0;
    // Fast path: no escape, the string is a slice of the buffer.
    for (; q < n; q++) {
      const c = buf[q]!;
      if (c === QUOTE || c === BACKSLASH) break;
      high |= c;
    }
    if (q >= n) return NEED_MORE;
    if (buf[q] === QUOTE && buf[q + 1] !== QUOTE) {
      if (q + 1 >= n) return NEED_MORE; // cannot tell '' (an escaped quote) from the end yet
      this.value = this.finishString(buf, p, q, high, binary);
      return q + 1;
    }
    // Slow path: copy into scratch, decoding escapes.
    let out = 0;
    let s = this.scratch;
    if (q - p > s.length) s = this.growScratch(q - p);
    buf.copy(s, 0, p, q);
    out = q - p;
    while (q < n) {
      let c = buf[q]!;
      if (c === QUOTE) {
        if (q + 1 >= n) return NEED_MORE;
        if (buf[q + 1] === QUOTE) {
          q += 2;
        } else {
          this.value = this.finishString(s, 0, out, high, binary);
          return q + 1;
        }
      } else if (c === BACKSLASH) {
        if (q + 1 >= n) return NEED_MORE;
        c = unescape(buf[q + 1]!);
        q += 2;
      } else q++;
      if (out >= s.length) s = this.growScratch(out + 1);
      s[out++] = c;
      high |= c;
    }
    return NEED_MORE;
  }

  private growScratch(min: number): Buffer {
    const bigger = Buffer.allocUnsafe(Math.max(min, this.scratch.length * 2));
    this.scratch.copy(bigger);
    this.scratch = bigger;
    return bigger;
  }

  private finishString(b: Buffer, from: number, to: number, high: number, binary: boolean): DumpValue {
    if (binary && to - from <= 6) {
      // BIT(n) and small binary values: their big-endian number
      let v = 0;
      for (let i = from; i < to; i++) v = v * 256 + b[i]!;
      return v;
    }
    if (high < 128) {
      // Dates ('2010-01-04') are most of the archive's strings: one string per distinct date, not per value.
      const key = to - from === 10 && b[from + 4] === MINUS && b[from + 7] === MINUS ? dateKey(b, from) : -1;
      if (key >= 0) {
        let date = this.dates.get(key);
        if (date === undefined) {
          date = b.latin1Slice(from, to);
          if (this.dates.size < 100_000) this.dates.set(key, date);
        }
        return date;
      }
      return b.latin1Slice(from, to);
    }
    const slice = b.subarray(from, to);
    if (isUtf8(slice)) return b.utf8Slice(from, to);
    this.rowLatin1++;
    return b.latin1Slice(from, to);
  }

  /** At the end of the text: anything but "between statements" means the dump was cut short. */
  finish(offset: number): void {
    if (this.mode !== Mode.Top) throw new TruncatedDumpError(this.file, offset, `the dump ends inside the INSERT of \`${this.table}\` (no closing ";")`);
  }

  failAt(offset: number, problem: string): never {
    throw new DumpFormatError(this.file, offset, problem);
  }
}

/** YYYYMMDD of the digits of a 'YYYY-MM-DD' at p, or -1 when one is not a digit. */
function dateKey(b: Buffer, p: number): number {
  let key = 0;
  for (let i = 0; i < 10; i++) {
    if (i === 4 || i === 7) continue;
    const d = b[p + i]! - ZERO;
    if (d < 0 || d > 9) return -1;
    key = key * 10 + d;
  }
  return key;
}

function isHexDigit(c: number): boolean {
  return (c >= ZERO && c <= NINE) || ((c | 32) >= 97 && (c | 32) <= 102);
}

function hexValue(buf: Buffer, from: number, to: number, parser: DumpParser, base: number): number {
  if (to - from > 12) parser.failAt(base + from, "hexadecimal value longer than 6 bytes");
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (!isHexDigit(c)) parser.failAt(base + i, "unreadable hexadecimal value");
    v = v * 16 + (c <= NINE ? c - ZERO : (c | 32) - 87);
  }
  return v;
}

/** The byte a backslash escape stands for (MySQL's list; any other character stands for itself). */
function unescape(c: number): number {
  switch (c) {
    case 48: return 0; // \0
    case 110: return LF; // \n
    case 114: return CR; // \r
    case 116: return TAB; // \t
    case 98: return 8; // \b
    case 90: return 26; // \Z
    default: return c; // \\ \' \" and the rest
  }
}

function startsWithWord(buf: Buffer, p: number, word: string): boolean {
  if (p + word.length > buf.length) return false;
  for (let i = 0; i < word.length; i++) if ((buf[p + i]! & ~32) !== word.charCodeAt(i)) return false;
  return true;
}

/** Offset of `word` (upper case) outside quotes at or after p, or -1. */
function findWord(buf: Buffer, p: number, word: string): number {
  let quote = 0;
  for (let i = p; i < buf.length; i++) {
    const c = buf[i]!;
    if (quote !== 0) {
      if (c === BACKSLASH) i++;
      else if (c === quote) quote = 0;
    } else if (c === QUOTE || c === DQUOTE || c === BACKTICK) quote = c;
    else if (c === word.charCodeAt(0) && startsWithWord(buf, i, word)) return i;
  }
  return -1;
}

/** Offset of the ";" ending the statement at p (outside quotes and backticks), or -1. */
function statementEnd(buf: Buffer, p: number): number {
  let quote = 0;
  for (let i = p; i < buf.length; i++) {
    const c = buf[i]!;
    if (quote !== 0) {
      if (c === BACKSLASH && quote !== BACKTICK) i++;
      else if (c === quote) quote = 0;
    } else if (c === QUOTE || c === DQUOTE || c === BACKTICK) quote = c;
    else if (c === SEMI) return i;
  }
  return -1;
}

/** The dump's text as a stream: gunzipped when the file starts with gzip's magic bytes. */
async function openText(file: string, chunkBytes: number): Promise<Readable> {
  const fh = await import("node:fs/promises").then((fs) => fs.open(file, "r"));
  const head = Buffer.alloc(2);
  await fh.read(head, 0, 2, 0);
  await fh.close();
  const raw = createReadStream(file, { highWaterMark: chunkBytes });
  if (head[0] === 0x1f && head[1] === 0x8b) return raw.pipe(createGunzip({ chunkSize: chunkBytes }));
  return raw;
}

/** Read one dump file (plain or gzip), handing each row of the wanted tables to its sink. */
export async function readDump(file: string, options: DumpReadOptions): Promise<DumpStats> {
  const parser = new DumpParser(file, options);
  const stream = await openText(file, options.chunkBytes ?? 1 << 20);
  let carry: Buffer | null = null;
  let base = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
      const used = parser.parse(buf, base, false);
      base += used;
      carry = used < buf.length ? buf.subarray(used) : null;
      if (options.afterChunk) await options.afterChunk();
    }
  } catch (err) {
    if (err instanceof DumpFormatError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    // zlib: a gzip stream cut short or damaged
    if (code === "Z_BUF_ERROR" || code === "Z_DATA_ERROR") throw new TruncatedDumpError(file, base + (carry?.length ?? 0), `gzip stream cut short or damaged (${(err as Error).message})`);
    throw err;
  }
  if (carry !== null) {
    const used = parser.parse(carry, base, true);
    base += used;
    if (used < carry.length) throw new TruncatedDumpError(file, base, "the dump ends inside a statement");
  }
  parser.finish(base);
  parser.stats.bytes = base;
  return parser.stats;
}
