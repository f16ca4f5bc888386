// Text from a page, made safe to print on a terminal. A page is untrusted: `&#27;` in an alert
// decodes to ESC, and an escape sequence printed raw can recolour, retitle or clear the reader's
// terminal (or a CI log that renders ANSI), or hide the line it is in.

/** C0 controls, DEL and C1 controls (U+0080–U+009F: 8-bit CSI and friends). */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
/** The controls JSON.stringify leaves raw (it escapes C0 itself). */
const JSON_RAW_CONTROLS = /[\u007f-\u009f]/g;

/** One line of page text for a terminal: tab, CR and LF become a space, other controls go. */
export function terminalText(s: string): string {
  return s.replace(CONTROLS, (c) => (c === "\t" || c === "\n" || c === "\r" ? " " : ""));
}

/**
 * JSON for a terminal: the same value (it parses back identically), with DEL and C1 written as
 * \u escapes like JSON.stringify already writes C0, so no control character reaches the screen.
 */
export function terminalJson(value: unknown, space?: number): string {
  const json = JSON.stringify(value, null, space) as string | undefined; // undefined for undefined itself
  return (json ?? String(value)).replace(JSON_RAW_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
