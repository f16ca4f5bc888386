// The trail's URL state and controls, shared by the stock page (one stock's holdings on any date,
// two dates, one participant's history) and the participant page (its portfolio on any date, two
// dates): reading dates from the address and saying which are wrong, the year and date pickers,
// keeping the address shareable, and fetching the yearly history parts a view needs.
// trail.js holds the pure functions over a loaded history (tested in Node); this file holds what
// needs the page (location, history, Inputs, fetch), so it stays apart.
import * as Inputs from "./vendor/inputs.js";
import {html} from "./vendor/htl.js";
import {fetchDaysPart, fetchHistoryYears, fetchMarketJson, fetchStoredDates} from "./history.js";
import {isIsoDate} from "./validate.js";

/** The value of a picker's "nothing chosen" option. */
export const NONE = "";

/** The calendar year of an ISO date. */
export const yearOf = (date) => Number(String(date).slice(0, 4));

/** The address's parameters as the page opened (a copy: later replaceState calls do not change it). */
export function urlParams() {
  return new URLSearchParams(location.search);
}

/**
 * The ISO date in the address parameter `name`, or null. A value that is not a date, or not one the
 * page can show (`stored(v)`, may be async), is said in `problems` (never silently replaced):
 * `notStored(v)` gives the sentence, or null to drop the value quietly.
 */
export async function urlDate(params, name, problems, {stored, notStored}) {
  const v = params.get(name);
  if (v == null || v === "") return null;
  if (!isIsoDate(v)) {
    problems.push(`“${v}” in ${name}= is not a date (YYYY-MM-DD).`);
    return null;
  }
  if (!(await stored(v))) {
    const why = notStored(v);
    if (why) problems.push(why);
    return null;
  }
  return v;
}

/** What is wrong with the address, as one alert (nothing when all is well). */
export function problemsAlert(problems) {
  return problems.length ? html`<div class="cc-empty" role="alert" data-testid="trail-error">${problems.map((x) => html`<p>${x}</p>`)}</div>` : null;
}

/**
 * Keep the address shareable: it always names what is shown. Each entry of `changes` sets its
 * parameter (a value), removes it (null, "" or false) or leaves it as it is (undefined).
 */
export function setUrlParams(changes) {
  const p = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (value == null || value === "" || value === false) p.delete(name);
    else p.set(name, value);
  }
  history.replaceState(null, "", `?${p}`);
}

/** A year picker (newest first as given); with `none`, a first option of that label (value NONE). */
export function yearPicker(years, {label, value, none}) {
  const choices = none ? [NONE, ...years] : years;
  return Inputs.select(choices, {label, value: choices.includes(value) ? value : choices[0],
    format: (y) => (y === NONE ? none : String(y)), disabled: !years.length});
}

/**
 * A date picker over ISO dates; with `none`, a first option of that label (value NONE), chosen
 * when `value` is not among the dates (else the first date is).
 */
export function datePicker(dates, {label, value, none, disabled = !dates.length}) {
  const choices = none ? [NONE, ...dates] : dates;
  return Inputs.select(choices, {label, value: choices.includes(value) ? value : choices[0],
    format: (d) => (d === NONE ? none : d), disabled});
}

/**
 * The resolution of a year's history parts on this site (docs/DATASETS.md "history/"): "month-end"
 * (each month's last market date), "quarter-end" (each quarter's), or null (full). meta.json's
 * `history_full_from` is the first year at full resolution (CCASS_SITE_FULL_YEARS) and
 * `history_month_end_from` the first at month-end (CCASS_SITE_MONTH_END_YEARS); older years are
 * quarter-end. Known without a request, so a full year costs none.
 */
export function coarseYear(meta) {
  const from = meta?.history_full_from;
  // a meta.json from before quarter-end years: every older year is month-end
  const monthEndFrom = Number.isInteger(meta?.history_month_end_from) ? meta.history_month_end_from : -Infinity;
  return (year) => {
    // with a data host the older years are read from it at full resolution: none is coarse
    if (meta?.history_host || !Number.isInteger(from) || !Number.isInteger(year) || year >= from) return null;
    return year >= monthEndFrom ? "month-end" : "quarter-end";
  };
}

/** The words of a coarse resolution: its kept dates ("month-ends") and which they are ("each month's last"). */
export function periodWords(resolution) {
  const period = resolution === "quarter-end" ? "quarter" : "month";
  return {ends: `${period}-ends`, each: `each ${period}'s last`};
}

/**
 * What a reader of a coarse year does not see, as a note (`market`: fetchMarketJson of the year):
 * how many of its dates are shown, and where every date is. Text only (htl escapes it).
 */
export function coarseNote(year, market, testid = "month-end-note") {
  if (!market || (market.resolution !== "month-end" && market.resolution !== "quarter-end")) return null;
  const {ends, each} = periodWords(market.resolution);
  return html`<p class="cc-banner" role="note" data-testid=${testid}>${year} is shown at ${ends} only (${market.dates.length} of the year's ${market.stored_dates} stored dates: ${each}). Every date is in the dataset: <a href="./data">Download</a> it, or <code>npm run fetch-dataset -- --from ${year}</code>.</p>`;
}

/** The notes of the coarse years among `years` (each once), fetching only those years' market JSON. */
export async function coarseNotes(years, isCoarse, testid) {
  const chosen = [...new Set(years.filter((y) => Number.isInteger(y) && isCoarse(y)))].sort();
  return (await Promise.all(chosen.map(async (y) => coarseNote(y, await fetchMarketJson(y), testid)))).filter(Boolean);
}

/**
 * Which of `years` (ascending) are coarse and at what, as one sentence's words: "2023–2024 are shown
 * at quarter-ends only (each quarter's last stored date) and 2025 at month-ends only (each month's
 * last stored date)"; "" when none is.
 */
export function coarseYearsText(years, isCoarse) {
  const runs = [];
  for (const y of years) {
    const r = isCoarse(y);
    if (!r) continue;
    if (runs.length && runs.at(-1).resolution === r) runs.at(-1).years.push(y);
    else runs.push({resolution: r, years: [y]});
  }
  return runs.map(({resolution, years: ys}, i) => {
    const {ends, each} = periodWords(resolution);
    const span = ys.length === 1 ? `${ys[0]}` : `${ys[0]}–${ys.at(-1)}`;
    return `${span}${i === 0 ? (ys.length === 1 ? " is shown" : " are shown") : ""} at ${ends} only (${each} stored date)`;
  }).join(" and ");
}

/**
 * The stored dates of one stock in a year (ascending): the stock JSON's recent window when it
 * starts before that year (so holds all of it), else that year's days part (about 1 KB). A
 * coarse year (`isCoarse`: coarseYear) is always its days part: it lists the kept dates only.
 */
export function storedDatesOf(code, historyYears, recentDates, isCoarse = () => null) {
  return async (year) => {
    if (!historyYears.includes(year)) return [];
    if (!isCoarse(year) && recentDates.length && recentDates[0] < `${year}-01-01`) return recentDates.filter((d) => d.startsWith(`${year}-`));
    return fetchStoredDates(code, year);
  };
}

/**
 * What a stock's date view needs: the history of the years of `date` and `compare` (null with no
 * date), and the days parts of every year between the two, which name the splits a comparison
 * crosses (basis carries their product, so no holdings are needed).
 */
export async function fetchDateView(code, historyYears, date, compare) {
  const viewYears = [...new Set([date, date && compare].filter(Boolean).map(yearOf))];
  const history = viewYears.length ? await fetchHistoryYears(code, viewYears) : null;
  const [y0, y1] = date && compare ? [Math.min(...viewYears), Math.max(...viewYears)] : [0, -1];
  const spanDays = (await Promise.all(historyYears.filter((y) => y >= y0 && y <= y1).map((y) => fetchDaysPart(code, y)))).flat();
  return {history, spanDays};
}
