#!/usr/bin/env -S npx tsx
// The local HKEX replica's command line. Prints the base URL as the first line of stdout, then
// serves until interrupted. Everything lives in src/replica/; this only reads options.
import { InvalidArgumentError, Option } from "commander";
import { cliProgram, integerOption as integer, isoDateOption as isoDate, numberOption as number, runCli } from "../src/lib/cli-options.ts";
import { latestPublishedDate } from "../src/ops/plan.ts";
import { DEFAULT_OVERSIZED_BYTES, oversizedFault, parseMaintenanceWindow } from "../src/replica/faults.ts";
import { MAX_MARKET_DAYS } from "../src/replica/lifecycle.ts";
import { startReplica } from "../src/replica/server.ts";

function maintenance(v: string): string {
  try {
    parseMaintenanceWindow(v, Date.now());
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return v;
}

function oversizedCodes(v: string): string[] {
  const codes = v.split(",").map((c) => c.trim());
  try {
    oversizedFault(codes);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return codes;
}

const program = cliProgram("replica")
  .description("Serve a deterministic synthetic CCASS market in the shapes of HKEX's pages (every figure is made up)")
  .addOption(new Option("--port <n>", "port to listen on (0: any free port)").default(8787).argParser(integer("port", 0, 65535)))
  .addOption(new Option("--host <addr>", "address to listen on").default("127.0.0.1"))
  .addOption(new Option("--seed <n>", "seed of the synthetic market").default(1).argParser(integer("seed", 0, 2 ** 31 - 1)))
  .addOption(new Option("--stocks <n>", "number of securities").default(200).argParser(integer("stocks", 1, 6000)))
  .addOption(new Option("--days <n>", "number of settlement days served").default(60).argParser(integer("days", 1, MAX_MARKET_DAYS)))
  .addOption(new Option("--end <date>", "last day of data (the last settlement day on or before it is served)").default(latestPublishedDate(), "the last settlement day before today in Hong Kong").argParser(isoDate))
  .addOption(new Option("--fault-rate <f>", "share of /sdw/ responses that fail: 500, 503, connection reset, or cut short with status 200").default(0).argParser(number("fault rate", 0, 1)))
  .addOption(new Option("--rate-limit <r>", "answer 429 with Retry-After above R requests/s (default: no limit)").argParser(number("rate limit", 0.001, 1e6)))
  .addOption(new Option("--latency <ms>", "delay added to every /sdw/ response").default(0).argParser(number("latency", 0, 600_000)))
  .addOption(new Option("--maintenance <from..to>", "serve the maintenance page in this window: ISO date-times or offsets from start (+0s..+30s)").argParser(maintenance))
  .addOption(new Option("--oversized <codes>", "holdings searches for these stock codes (comma-separated) answer an oversized body, streamed").argParser(oversizedCodes))
  .addOption(new Option("--oversized-bytes <n>", "length of an --oversized body").default(DEFAULT_OVERSIZED_BYTES).argParser(integer("oversized bytes", 1)))
  .addOption(new Option("--hostile-names", "give some stock and participant names HTML/script and spreadsheet-formula payloads").default(false))
  .addOption(new Option("--noise", "the noisy market: parties' own trading on transfer days, busy days, sell-outs, newcomers (docs/REPLICA.md)").default(false))
  .addOption(new Option("--no-warmup", "do not simulate every stock in the background after start (pages then simulate their stock on first request)"))
  .addOption(new Option("--token-ttl <seconds>", "form tokens expire after this many seconds (0: never)").default(0).argParser(number("token TTL", 0, 1e9)));

program.parse(process.argv);
const o = program.opts<{
  port: number;
  host: string;
  seed: number;
  stocks: number;
  days: number;
  end: string;
  faultRate: number;
  rateLimit?: number;
  latency: number;
  maintenance?: string;
  oversized?: string[];
  oversizedBytes: number;
  hostileNames: boolean;
  noise: boolean;
  tokenTtl: number;
  warmup: boolean;
}>();

let replica!: Awaited<ReturnType<typeof startReplica>>;
await runCli("replica", async () => {
  replica = await startReplica({
    seed: o.seed,
    stocks: o.stocks,
    days: o.days,
    end: o.end,
    hostileNames: o.hostileNames,
    ...(o.noise ? { noise: true } : {}),
    port: o.port,
    host: o.host,
    faultRate: o.faultRate,
    ...(o.rateLimit !== undefined ? { rateLimit: o.rateLimit } : {}),
    latencyMs: o.latency,
    ...(o.maintenance !== undefined ? { maintenance: o.maintenance } : {}),
    ...(o.oversized !== undefined ? { oversized: { stocks: o.oversized, bytes: o.oversizedBytes } } : {}),
    tokenTtlSeconds: o.tokenTtl,
    warmUp: o.warmup,
  });
});
// The contract: the base URL is the first line of stdout (scripts and tests read it).
process.stdout.write(`${replica.url}\n`);
const m = replica.market;
process.stderr.write(
  `replica: synthetic market seed ${o.seed}, ${m.stocks.length} securities, ${m.dates.length} settlement days ${m.dates[0]}..${m.dates[m.dates.length - 1]} (window ${m.window.earliest}..${m.window.latest}, today ${m.window.today})\n` +
    `replica: ${replica.url}/sdw/search/searchsdw.aspx  truth: ${replica.url}/__truth/transfers.json\n`,
);

let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    replica.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
