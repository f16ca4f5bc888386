// `scrape parse FILE`: parse one saved page and print its record (or page error) as JSON.
// Exit 0 for a record, 1 for a page error (the error JSON is still printed), 2 for an unreadable file.
import { readFile } from "node:fs/promises";
import { InvalidArgumentError, type Command } from "commander";
import { terminalJson, terminalText } from "../lib/terminal.ts";
import { parsePage, type PageKind } from "./parse.ts";
import { isPageError } from "./types.ts";

const KINDS: readonly PageKind[] = ["holdings", "southbound", "stocklist", "partlist"];

export interface ParseCommandOptions {
  kind?: PageKind;
  reason?: boolean;
  compact?: boolean;
}

export function registerParseCommand(program: Command): void {
  program
    .command("parse")
    .argument("<file>", "a saved HKEX page (HTML or JSON); - reads standard input")
    .description("Parse one saved page and print its JSON record")
    .option("--kind <kind>", `page kind instead of detecting it: ${KINDS.join(", ")}`, (v: string) => {
      if (!(KINDS as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${KINDS.join(", ")}`);
      return v as PageKind;
    })
    .option("--reason", "keep the error's `reason` in the printed JSON (it always goes to stderr)", false)
    .option("--compact", "print the JSON on one line", false)
    .action(async (file: string, opts: ParseCommandOptions) => {
      let body: Buffer;
      try {
        body = file === "-" ? await readStdin() : await readFile(file);
      } catch (err) {
        console.error(`parse: cannot read ${file}: ${(err as Error).message}`);
        process.exitCode = 2;
        return;
      }
      const outcome = parsePage(body.toString("utf8"), opts.kind);
      let printed: object = outcome;
      if (isPageError(outcome)) {
        if ("reason" in outcome && outcome.reason !== undefined) {
          console.error(terminalText(`parse: ${outcome.error}: ${outcome.reason}`));
          // The contract's JSON is exactly {error} (or {error, message}); the reason is extra, on request.
          if (!opts.reason) {
            const { reason: _reason, ...rest } = outcome;
            printed = rest;
          }
        } else {
          console.error(terminalText(`parse: ${outcome.error}${"message" in outcome ? `: ${outcome.message}` : ""}`));
        }
        process.exitCode = 1;
      }
      // Page text never reaches the terminal raw: C1 and DEL escaped like JSON escapes C0 (src/lib/terminal.ts).
      process.stdout.write(terminalJson(printed, opts.compact ? undefined : 2) + "\n");
    });
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
