// Freshness and the README badge (docs/DATASETS.md "health.json, badge.json"): the expected date
// is the last settlement day before today (CCASS_TODAY in tests and replays); the lag counts
// settlement days only, so weekends and Hong Kong holidays never make the data look late.
// fresh (lag ≤ 1, green), stale (≤ 3, yellow), late (> 3, red), empty (grey, "no data").
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openAnalytics, type Analytics } from "../data-loaders/compute/cache.ts";
import { freshness, healthSmall } from "../data-loaders/publish/page-data/health.ts";
import { InvalidValueError } from "../src/lib/validate.ts";
import { DAYS, writeFixture } from "./analytics-fixture.ts";

const savedToday = process.env.CCASS_TODAY;
afterEach(() => {
  if (savedToday === undefined) delete process.env.CCASS_TODAY;
  else process.env.CCASS_TODAY = savedToday;
});

/** freshness(latest) as the loaders call it: today from CCASS_TODAY. */
function judged(today: string, latest: string | null) {
  process.env.CCASS_TODAY = today;
  return freshness(latest);
}

describe("freshness against CCASS_TODAY", () => {
  it("expects the settlement day before today, skipping weekends", () => {
    expect(judged("2026-11-24", "2026-11-23")).toEqual({ status: "fresh", expected_date: "2026-11-23", lag_days: 0, today: "2026-11-24" }); // Tue
    for (const today of ["2026-11-21", "2026-11-22", "2026-11-23"]) expect(judged(today, "2026-11-20").expected_date, today).toBe("2026-11-20"); // Sat, Sun, Mon → Fri
    expect(judged("2026-11-23", "2026-11-19")).toMatchObject({ status: "fresh", lag_days: 1 });
    expect(judged("2026-11-24", "2026-11-19")).toMatchObject({ status: "stale", lag_days: 2 }); // Fri and Mon missing
    expect(judged("2026-11-25", "2026-11-19")).toMatchObject({ status: "stale", lag_days: 3 });
    expect(judged("2026-11-26", "2026-11-19")).toMatchObject({ status: "late", lag_days: 4 });
    // data ahead of the expected day (a replica ending later) is fresh, not negative lag
    expect(judged("2026-11-24", "2026-11-27")).toMatchObject({ status: "fresh", lag_days: 0 });
  });

  it("counts no Hong Kong holiday as lag: Lunar New Year 17–19 Feb 2026", () => {
    // Fri 20 Feb: yesterday and the two days before were holidays → Mon 16 Feb is expected.
    expect(judged("2026-02-20", "2026-02-16")).toMatchObject({ status: "fresh", expected_date: "2026-02-16", lag_days: 0 });
    // Mon 23 Feb: Fri 20 expected; data of Mon 16 is one settlement day behind, seven calendar days.
    expect(judged("2026-02-23", "2026-02-16")).toMatchObject({ status: "fresh", expected_date: "2026-02-20", lag_days: 1 });
    expect(judged("2026-02-23", "2026-02-12")).toMatchObject({ status: "stale", lag_days: 3 }); // 13, 16, 20
    expect(judged("2026-02-23", "2026-02-11")).toMatchObject({ status: "late", lag_days: 4 });
  });

  it("counts no Hong Kong holiday as lag: Easter 2026 (Good Friday 3 Apr to 7 Apr)", () => {
    // Wed 8 Apr: 7 Apr (day after Ching Ming), 6 Apr (Easter Monday), the weekend and 3 Apr are all off.
    expect(judged("2026-04-08", "2026-04-02")).toMatchObject({ status: "fresh", expected_date: "2026-04-02", lag_days: 0 });
    expect(judged("2026-04-08", "2026-03-30")).toMatchObject({ status: "stale", lag_days: 3 }); // 31 Mar, 1 and 2 Apr
    expect(judged("2026-04-08", "2026-03-27")).toMatchObject({ status: "late", lag_days: 4 });
  });

  it("is empty with no data, and refuses a CCASS_TODAY that is not a date", () => {
    expect(judged("2026-11-24", null)).toEqual({ status: "empty", expected_date: "2026-11-23", lag_days: null, today: "2026-11-24" });
    expect(() => judged("2026-11-31", "2026-11-20")).toThrow(InvalidValueError);
    expect(() => judged("../x", "2026-11-20")).toThrow(InvalidValueError);
  });
});

describe("the badge (badge.json) and the small health file", () => {
  let scratch: string;
  let a: Analytics;
  let empty: Analytics;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "health-badge-"));
    const root = await writeFixture(); // latest stored date: Wed 2026-11-18
    a = await openAnalytics(root, { cache: path.join(scratch, "cache") });
    empty = await openAnalytics(scratch, { cache: path.join(scratch, "cache-empty") });
  });
  afterAll(async () => {
    a?.db.close();
    empty?.db.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it.each([
    ["2026-11-19", "fresh", "green", 0],
    ["2026-11-20", "fresh", "green", 1],
    ["2026-11-21", "stale", "yellow", 2], // Saturday: Thu and Fri missing
    ["2026-11-24", "stale", "yellow", 3], // Tuesday: Thu, Fri, Mon missing
    ["2026-11-25", "late", "red", 4],
  ] as const)("CCASS_TODAY=%s: %s, %s", async (today, status, color, lag) => {
    expect(DAYS.at(-1)).toBe("2026-11-18");
    process.env.CCASS_TODAY = today;
    const { small, badge } = await healthSmall(a);
    expect(badge).toEqual({ schemaVersion: 1, label: "data", message: "2026-11-18", color });
    expect(small).toMatchObject({ status, latest_date: "2026-11-18", lag_days: lag });
  });

  it("an empty dataset: grey, \"no data\"", async () => {
    process.env.CCASS_TODAY = "2026-11-24";
    const { small, badge } = await healthSmall(empty);
    expect(badge).toEqual({ schemaVersion: 1, label: "data", message: "no data", color: "lightgrey" });
    expect(small).toMatchObject({ status: "empty", latest_date: null, lag_days: null, stocks_latest: 0 });
  });
});
