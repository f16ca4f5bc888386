// What a stock page says about the other securities of its code and the other codes of its security
// (data-loaders/publish/stock-pages.ts securityParts; docs/DATASETS.md, the stock file's `related`).
import { describe, expect, it } from "vitest";
import { securityParts } from "../data-loaders/publish/stock-pages.ts";

// S1 listed on A, moved to B (a GEM → Main Board transfer); A then recycled for S2.
const ROWS = [
  { stock_code: "00001", security_id: "wb:1", stock_name: "S1 on A", first_date: "2020-01-02", last_date: "2021-06-30" },
  { stock_code: "00002", security_id: "wb:1", stock_name: "S1 on B", first_date: "2021-07-02", last_date: "2024-12-31" },
  { stock_code: "00001", security_id: "wb:2", stock_name: "S2 on A", first_date: "2022-01-03", last_date: "2024-12-31" },
];
const linked = (r: ReturnType<typeof securityParts>) => r.related.map((x) => `${x.relation} ${x.stock_code} ${x.security_id}`);

describe("a stock page's security and related securities", () => {
  it("a recycled code's page names its current security and the one before; a code that moved on is not called the same security", () => {
    const page = securityParts("00001", "wb:2", ROWS);
    expect(page.security).toEqual({ security_id: "wb:2", name: "S2 on A", first_date: "2022-01-03", last_date: "2024-12-31" });
    // B holds S1, not S2: it is no "same security" of A's page
    expect(linked(page)).toEqual(["same_code 00001 wb:1"]);
  });

  it("the new code's page links the security's old code, and not the security that reused it", () => {
    const page = securityParts("00002", "wb:1", ROWS);
    expect(page.security?.name).toBe("S1 on B");
    expect(linked(page)).toEqual(["same_security 00001 wb:1"]);
  });

  it("a code used by one security only has nothing related", () => {
    expect(securityParts("00003", "hk:00003", [{ stock_code: "00003", security_id: "hk:00003", stock_name: "X", first_date: "2025-01-02", last_date: "2025-12-31" }]).related).toEqual([]);
  });
});
