#!/usr/bin/env -S npx tsx
// The scraper's command line. A thin shell: each subcommand lives in the module that owns it.
//   parse FILE          src/hkex/parse-command.ts
//   run|status|reparse  src/ingest/commands.ts
import { registerParseCommand } from "../src/hkex/parse-command.ts";
import { registerIngestCommands } from "../src/ingest/commands.ts";
import { cliProgram, runCli } from "../src/lib/cli-options.ts";

// Subcommands registered after cliProgram() inherit its one-line usage errors.
const program = cliProgram("scrape").description("Scrape HKEX CCASS shareholding pages into partitioned Parquet");

registerParseCommand(program);
registerIngestCommands(program);

await runCli("scrape", () => program.parseAsync(process.argv));
