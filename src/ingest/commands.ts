// The `run`, `status` and `reparse` subcommands of scripts/scrape.ts: argument parsing and
// validation only; the work is in run.ts, status.ts and reparse.ts.
import { Command, InvalidArgumentError, Option } from "commander";
import { CLIENT_DEFAULTS, DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES } from "../hkex/client.ts";
import { integerOption, isoDateOption, numberOption } from "../lib/cli-options.ts";
import { terminalJson } from "../lib/terminal.ts";
import { InvalidValueError } from "../lib/validate.ts";
import { createProgress } from "./progress.ts";
import { reparse } from "./reparse.ts";
import { runScrape } from "./run.ts";
import { datasetStatus, formatStatus } from "./status.ts";
import { parseStockOption, type Universe } from "./universe.ts";

const DEFAULT_OUT = "data/parquet";

function stockList(v: string): string[] {
  try {
    const codes = parseStockOption(v);
    if (codes.length === 0) throw new InvalidArgumentError("expected stock codes such as 00700,00005");
    return codes;
  } catch (err) {
    if (err instanceof InvalidValueError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}
function baseUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError("expected an http(s) URL");
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new InvalidArgumentError("expected an http(s) URL");
  return v;
}

interface RunFlags {
  baseUrl: string;
  from?: string;
  to?: string;
  out: string;
  stocks?: string[];
  universe: Universe;
  concurrency: number;
  rate: number;
  cache?: string;
  timeout: number;
  maxResponseBytes: number;
  retries: number;
  backoffMin: number;
  maintenancePause: number;
  userAgent?: string;
  json?: boolean;
}

export function registerIngestCommands(program: Command): void {
  program
    .command("run")
    .description("Scrape holdings (and each date's stock list, participant list and southbound table) into Parquet")
    .addOption(new Option("--base-url <url>", "HKEX site, or a replica").default(DEFAULT_BASE_URL).argParser(baseUrl))
    .option("--from <date>", "first date (YYYY-MM-DD); default: --to", isoDateOption)
    .option("--to <date>", "last date (YYYY-MM-DD); default: the latest settlement day (the one before today in Hong Kong)", isoDateOption)
    .option("--out <dir>", "dataset folder", DEFAULT_OUT)
    .addOption(new Option("--stocks <codes>", "only these stock codes, comma-separated (00700,5)").argParser(stockList).conflicts("universe"))
    .addOption(new Option("--universe <name>", "which listed securities").choices(["equities", "all"]).default("equities"))
    .option("--concurrency <n>", "connections and pages in flight", integerOption("concurrency", 1), CLIENT_DEFAULTS.connections)
    .option("--rate <r>", "requests per second, all connections together", numberOption("rate", 0, Infinity, true), CLIENT_DEFAULTS.rate)
    .option("--cache <dir>", "keep every raw page (gzip) here, and reuse pages found here")
    .option("--timeout <ms>", "HTTP headers/body timeout", integerOption("timeout", 1), CLIENT_DEFAULTS.timeoutMs)
    .option("--max-response-bytes <n>", "read no response past this many bytes: the page is rejected as oversized, its first 64 KiB kept", integerOption("max response bytes", 1), DEFAULT_MAX_RESPONSE_BYTES)
    .option("--retries <n>", "retries per page (network, 5xx/429, broken page)", integerOption("retries", 1), CLIENT_DEFAULTS.maxRetries)
    .option("--backoff-min <ms>", "first retry delay (doubles, with jitter, up to 30 s)", numberOption("backoff", 0, Infinity, true), 500)
    .option("--maintenance-pause <ms>", "pause after a maintenance notice (doubles; 3 at most per page)", numberOption("maintenance pause", 0), 60_000)
    .option("--user-agent <ua>", "User-Agent header (default names the project and its repository)")
    .option("--json", "progress as JSON lines even on a terminal")
    .action(async (flags: RunFlags) => {
      const progress = createProgress({ tty: flags.json ? false : undefined });
      // First SIGINT/SIGTERM: stop cleanly (finish in-flight pages, write complete dates, save the
      // report, exit 3). A second one exits at once; the journal makes even that resumable.
      const stop = new AbortController();
      const onSignal = () => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      let report: Awaited<ReturnType<typeof runScrape>>;
      try {
        report = await runScrape({
          signal: stop.signal,
          out: flags.out,
          baseUrl: flags.baseUrl,
          from: flags.from,
          to: flags.to,
          stocks: flags.stocks,
          universe: flags.universe,
          concurrency: flags.concurrency,
          rate: flags.rate,
          cache: flags.cache,
          client: {
            timeoutMs: flags.timeout,
            maxResponseBytes: flags.maxResponseBytes,
            maxRetries: flags.retries,
            backoff: { minMs: flags.backoffMin, maxMs: 30_000 },
            maintenancePauseMs: flags.maintenancePause,
            userAgent: flags.userAgent,
          },
          argv: process.argv.slice(2),
          onEvent: progress.onEvent,
        });
      } finally {
        // On an error too: a progress bar left running keeps the terminal's cursor hidden.
        progress.stop();
      }
      // Exit 3: the run finished but some dates still have pending pages (rerun to resume).
      if (!report.complete) process.exitCode = 3;
    });

  program
    .command("status")
    .description("Coverage of a dataset: per date, stocks stored, planned, alerted, rejected, pending")
    .option("--out <dir>", "dataset folder", DEFAULT_OUT)
    .option("--json", "print JSON")
    .action(async (flags: { out: string; json?: boolean }) => {
      const s = await datasetStatus(flags.out);
      console.log(flags.json ? terminalJson(s, 2) : formatStatus(s));
    });

  program
    .command("reparse")
    .description("Rebuild Parquet from the raw page cache (no network)")
    .requiredOption("--cache <dir>", "the cache a run wrote with --cache")
    .option("--out <dir>", "dataset folder", DEFAULT_OUT)
    .option("--from <date>", "first date", isoDateOption)
    .option("--to <date>", "last date", isoDateOption)
    .action(async (flags: { cache: string; out: string; from?: string; to?: string }) => {
      const r = await reparse({
        ...flags,
        onDate: (d) => process.stderr.write(`${d.date}: ${d.pages} pages, ${d.rejected} rejected, ${d.holdingsRows} holdings rows\n`),
      });
      console.log(terminalJson({ runId: r.runId, dates: r.dates, pages: r.pages, alerts: r.alerts, rejected: r.rejected.length, holdingsRows: r.holdingsRows }));
      if (r.rejected.length > 0) process.exitCode = 3;
    });
}
