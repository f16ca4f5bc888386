// Names derived from codes and keys: participant kinds, URL-safe file names, stock kinds
// (docs/DATASETS.md "Conventions" is the contract for each).
import { createHash } from "node:crypto";
import { isParticipantId } from "../../src/lib/validate.ts";

const INVESTOR_KEY = /^ip:([0-9a-f]{12})(?:#(\d{1,4}))?$/;

export type ParticipantKind = "clearing" | "broker" | "custodian" | "participant" | "investor";

export function participantKind(key: string): ParticipantKind {
  if (key.startsWith("ip:")) return "investor";
  switch (key[0]) {
    case "A":
      return "clearing";
    case "B":
      return "broker";
    case "C":
      return "custodian";
    default:
      return "participant";
  }
}

/** `C00019.json`, `ip-0123456789ab.json`, `ip-0123456789ab-2.json`; anything else `k-<sha1>.json`. */
export function participantFile(key: string): string {
  if (isParticipantId(key)) return `${key}.json`;
  const m = INVESTOR_KEY.exec(key);
  if (m) return `ip-${m[1]}${m[2] ? `-${m[2]}` : ""}.json`;
  return `k-${createHash("sha1").update(key).digest("hex").slice(0, 16)}.json`;
}

export type StockKind = "equity" | "gem" | "etf" | "leveraged" | "debt" | "hdr" | "warrant" | "cbbc" | "rmb" | "reit" | "other";

export function stockKind(code: string, name: string | null = null): StockKind {
  if (name && /\bREIT\b/i.test(name)) return "reit";
  const n = Number(code);
  const within = (a: number, b: number) => n >= a && n <= b;
  if (!/^\d{5}$/.test(code)) return "other";
  if (within(8000, 8999)) return "gem";
  if (within(2800, 2849) || within(3000, 3199) || within(9000, 9199) || within(9800, 9849)) return "etf";
  if (within(7200, 7399) || within(7500, 7599)) return "leveraged";
  if (within(4000, 4599) || within(5000, 6029) || within(40000, 49999)) return "debt";
  if (within(6200, 6299)) return "hdr";
  if (within(10000, 29999)) return "warrant";
  if (within(50000, 69999)) return "cbbc";
  if (within(80000, 89999)) return "rmb";
  if (within(1, 9999)) return "equity";
  return "other";
}
