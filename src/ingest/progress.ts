// Run progress for people and for machines: on a terminal a cli-progress bar (pages, rate, ETA,
// retries, rejects); otherwise (CI, pipes, tests) one JSON object per line per event on stdout.
import cliProgress from "cli-progress";
import { terminalJson } from "../lib/terminal.ts";
import type { RunEvent } from "./run.ts";

export interface ProgressSink {
  onEvent: (e: RunEvent) => void;
  stop: () => void;
}

export function createProgress(opts: { tty?: boolean; write?: (line: string) => void } = {}): ProgressSink {
  const tty = opts.tty ?? (process.stderr.isTTY === true);
  return tty ? barProgress() : jsonProgress(opts.write ?? ((l) => process.stdout.write(l + "\n")));
}

function jsonProgress(write: (line: string) => void): ProgressSink {
  return {
    onEvent: (e) => {
      // Alert texts and reasons come from pages: terminalJson escapes C1 and DEL as well as C0.
      // The final report is saved to _runs/; the stream gets its headline figures only.
      if (e.type === "done") {
        const r = e.report;
        write(terminalJson({ type: "done", runId: r.runId, complete: r.complete, dates: r.dates, pages: r.pages, seconds: r.seconds }));
      } else write(terminalJson(e));
    },
    stop: () => {},
  };
}

function barProgress(): ProgressSink {
  const bar = new cliProgress.SingleBar(
    {
      format: "{bar} {value}/{total} pages | {rate} pages/s | ETA {eta_formatted} | date {date} | retries {retries} | rejects {rejects}",
      hideCursor: true,
      etaBuffer: 200,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let total = 0;
  let value = 0;
  let retries = 0;
  let rejects = 0;
  let started = 0;
  let started_value = 0;
  const payload = (date = "") => ({
    rate: started ? ((value - started_value) / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1) : "0",
    retries,
    rejects,
    date,
  });
  bar.start(0, 0, payload());
  return {
    onEvent: (e) => {
      switch (e.type) {
        case "start":
          // Three list pages per date are known up front; the stocks once each stock list is in.
          total = e.dates.length * 3;
          bar.setTotal(total);
          break;
        case "plan":
          total += e.stocks;
          value += e.stocksDone + e.listsDone;
          if (!started) {
            started = Date.now();
            started_value = value;
          }
          bar.setTotal(total);
          bar.update(value, payload(e.date));
          break;
        case "page":
          value++;
          if (e.status === "rejected") rejects++;
          bar.update(value, payload(e.date));
          break;
        case "retry":
          retries++;
          break;
        case "done":
          bar.stop();
          process.stderr.write(
            `run ${e.report.runId}: ${e.report.dates.written} dates written, ${e.report.pages.ok} pages ok, ` +
              `${e.report.pages.alert} alerts, ${e.report.pages.rejected} rejected, ${e.report.pages.unavailable} unavailable` +
              (e.report.complete ? "" : ` (incomplete: ${e.report.dates.incomplete.join(", ")})`) +
              "\n",
          );
          break;
        default:
          break;
      }
    },
    stop: () => bar.stop(),
  };
}
