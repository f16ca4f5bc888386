// The streaming mysqldump reader (src/archive/mysqldump.ts): values of every kind mysqldump writes,
// across chunk boundaries of any size, and one typed error naming the file and byte offset for a
// dump cut short or malformed.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { DumpFormatError, readDump, TruncatedDumpError, type DumpValue } from "../src/archive/mysqldump.ts";

const work = mkdtempSync(path.join(tmpdir(), "mysqldump-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DUMP = Buffer.concat([
  Buffer.from(`-- MySQL dump 10.13  Distrib 8.0.37
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!50503 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS \`t\`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE \`t\` (
  \`id\` int NOT NULL,
  \`name\` varchar(255) DEFAULT NULL COMMENT 'a, b; c',
  \`flag\` bit(1) NOT NULL DEFAULT b'0',
  \`x\` double DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  KEY \`name\` (\`name\`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
LOCK TABLES \`t\` WRITE;
/*!40000 ALTER TABLE \`t\` DISABLE KEYS */;
INSERT INTO \`t\` VALUES (1,'O\\'Brien \\\\ \\"Co\\" ; (x),',_binary '\\0',1.5),(2,NULL,_binary '\x01',-2.5e-3),(-3,'a\\nb\\tc\\0\\Z','');
INSERT INTO \`t\` VALUES (4,'中國 Zoë',b'1',NULL),(5,'it''s',0x01,12345678901234);
`),
  Buffer.from("INSERT INTO `t` VALUES (6,'Caf\xe9',0x00,0);\n", "latin1"),
  Buffer.from(`/*!40000 ALTER TABLE \`t\` ENABLE KEYS */;
UNLOCK TABLES;
CREATE TABLE \`skip\` (\n  \`a\` int\n);
INSERT INTO \`skip\` VALUES (1),(2);
-- Dump completed
`),
]);
// '' for the BIT of row 3 is read as a string: mysqldump never writes it, but it must not break the row
const EXPECTED: DumpValue[][] = [
  [1, `O'Brien \\ "Co" ; (x),`, 0, 1.5],
  [2, null, 1, -2.5e-3],
  [-3, "a\nb\tc\0\x1a", "", null],
  [4, "中國 Zoë", 1, null],
  [5, "it's", 1, 12345678901234],
  [6, "Café", 0, 0],
];
EXPECTED[2]![3] = null;

async function read(file: string, chunkBytes?: number) {
  const rows: DumpValue[][] = [];
  const tables: [string, readonly string[]][] = [];
  const stats = await readDump(file, {
    onTable(table, columns) {
      tables.push([table, columns]);
      return table === "t" ? (row) => rows.push([...row]) : null;
    },
    ...(chunkBytes ? { chunkBytes } : {}),
  });
  return { rows, tables, stats };
}

function write(name: string, data: Buffer): string {
  const file = path.join(work, name);
  writeFileSync(file, data);
  return file;
}

describe("readDump", () => {
  // the third row has 3 values: fix the fixture's last value so it has four
  const dump = Buffer.from(DUMP.toString("latin1").replace("'a\\nb\\tc\\0\\Z','')", "'a\\nb\\tc\\0\\Z','',NULL)"), "latin1");

  it.each([1 << 20, 7, 1])("reads every value kind, whatever the chunk size (%i bytes)", async (chunk) => {
    const { rows, tables, stats } = await read(write(`plain-${chunk}.sql`, dump), chunk);
    expect(tables).toEqual([["t", ["id", "name", "flag", "x"]], ["skip", ["a"]]]);
    expect(rows).toEqual(EXPECTED);
    expect(stats).toMatchObject({ rows: 6, skippedRows: 2, latin1Strings: 1, bytes: dump.length });
  });

  it("reads gzip the same as plain text", async () => {
    const { rows } = await read(write("dump.sql.gz", gzipSync(dump)));
    expect(rows).toEqual(EXPECTED);
  });

  it("a dump cut anywhere inside a statement is one TruncatedDumpError naming the file and offset", async () => {
    const insert = dump.indexOf("INSERT INTO `t`");
    for (const cut of [insert + 10, insert + 40, insert + 60, dump.indexOf("(4,") + 5, dump.indexOf("ENABLE") - 30]) {
      const file = write(`cut-${cut}.sql`, dump.subarray(0, cut));
      const err = await read(file).catch((e: unknown) => e);
      expect(err, `cut at ${cut}`).toBeInstanceOf(TruncatedDumpError);
      expect((err as TruncatedDumpError).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} at byte \\d+: `));
      expect((err as TruncatedDumpError).offset).toBeLessThanOrEqual(cut);
    }
  });

  it("a gzip file cut short is a TruncatedDumpError too", async () => {
    const gz = gzipSync(dump);
    const err = await read(write("cut.sql.gz", gz.subarray(0, gz.length - 20))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TruncatedDumpError);
  });

  it.each([
    ["a statement cut mid-value and followed by another", "INSERT INTO `t` VALUES (1,'abc\nINSERT INTO `t` VALUES (2,'x',0,1);\n", /expected "," or "\)"/],
    ["a row with too few values", "INSERT INTO `t` VALUES (1,'x',0);\n", /has 3 values, its CREATE TABLE 4 columns/],
    ["an INSERT before its CREATE TABLE", "INSERT INTO `nope` VALUES (1);\n", /INSERT INTO `nope` before its CREATE TABLE/],
    ["a value that is no value", "INSERT INTO `t` VALUES (1,'x',0,@x);\n", /unreadable value/],
  ])("%s: one DumpFormatError with the offset of the problem", async (_what, tail, message) => {
    const head = dump.subarray(0, dump.indexOf("LOCK TABLES"));
    const file = write("bad.sql", Buffer.concat([head, Buffer.from(tail)]));
    const err = (await read(file).catch((e: unknown) => e)) as DumpFormatError;
    expect(err).toBeInstanceOf(DumpFormatError);
    expect(err.message).toMatch(message);
    expect(err.offset).toBeGreaterThanOrEqual(head.length);
    expect(err.offset).toBeLessThan(head.length + tail.length + 1);
  });
});
