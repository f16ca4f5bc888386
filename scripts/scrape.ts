#!/usr/bin/env -S npx tsx
// The scraper's command line. A thin shell: each subcommand lives in the module that owns it.
//   parse FILE          src/hkex/parse-command.ts
//   run|status|reparse  src/ingest/commands.ts
import { Command } from "commander";
import { registerParseCommand } from "../src/hkex/parse-command.ts";
import { registerIngestCommands } from "../src/ingest/commands.ts";

const program = new Command()
  .name("scrape")
  .description("Scrape HKEX CCASS shareholding pages into partitioned Parquet")
  .showHelpAfterError();

registerParseCommand(program);
registerIngestCommands(program);

await program.parseAsync(process.argv);
