// A small streaming extraction engine: it runs one declarative page definition over an HTML text
// in a single htmlparser2 pass, without building a DOM. The definition (src/hkex/definitions.ts)
// says what to find; this file only knows how to find it.
//
// A definition is a tree of specs. Each spec has a `select`: a descendant chain of compound
// selectors ("#pnlResultNormal table tbody tr"), each compound made of an optional tag, `#id`,
// `.class`es, `[attr]` presence tests and `:not(...)` of another compound. A chain that starts
// with `&` tests the element matched by the enclosing group or list itself ("&.ccass-search-total").
//   text(select)          the folded text of the first matching element
//   attr(select, name)    an attribute of the first matching element
//   present(select)       true when some element matches
//   group(select, fields) a nested record from the first matching element
//   list(select, fields)  one nested record per matching element
// The result is a plain object shaped like the definition (types inferred from it).
import { decodeHTML, decodeHTMLAttribute } from "entities";
import { Parser } from "htmlparser2";

export interface TextSpec {
  readonly kind: "text";
  readonly select: string;
}
export interface AttrSpec {
  readonly kind: "attr";
  readonly select: string;
  readonly attr: string;
}
export interface PresentSpec {
  readonly kind: "present";
  readonly select: string;
}
export interface GroupSpec<F extends Fields = Fields> {
  readonly kind: "group";
  readonly select: string;
  readonly fields: F;
}
export interface ListSpec<F extends Fields = Fields> {
  readonly kind: "list";
  readonly select: string;
  readonly fields: F;
}
export type Spec = TextSpec | AttrSpec | PresentSpec | GroupSpec<Fields> | ListSpec<Fields>;
export interface Fields {
  readonly [key: string]: Spec;
}

export const text = (select: string): TextSpec => ({ kind: "text", select });
export const attr = (select: string, name: string): AttrSpec => ({ kind: "attr", select, attr: name });
export const present = (select: string): PresentSpec => ({ kind: "present", select });
export const group = <F extends Fields>(select: string, fields: F): GroupSpec<F> => ({ kind: "group", select, fields });
export const list = <F extends Fields>(select: string, fields: F): ListSpec<F> => ({ kind: "list", select, fields });

/** What the engine extracts for a spec: absent (undefined) when nothing matched; lists are always arrays. */
export type Extracted<S> =
  S extends TextSpec | AttrSpec
    ? string | undefined
    : S extends PresentSpec
      ? boolean | undefined
      : S extends GroupSpec<infer F>
        ? ExtractedFields<F> | undefined
        : S extends ListSpec<infer F>
          ? ExtractedFields<F>[]
          : never;
export type ExtractedFields<F extends Fields> = { -readonly [K in keyof F]: Extracted<F[K]> };

/** A page definition: the fields to extract, and the element whose explicit end tag marks a whole document. */
export interface PageDefinition<F extends Fields = Fields> {
  readonly fields: F;
  readonly endTag: string;
}

export interface Extraction<F extends Fields> {
  record: ExtractedFields<F>;
  /** The end tag named by the definition was seen explicitly: the document did not end early. */
  complete: boolean;
  /** Number of elements seen, for diagnostics ("is this HTML at all?"). */
  elements: number;
}

/** A definition whose selector does not parse: a programming error, thrown at compile time. */
export class DefinitionError extends Error {
  override readonly name = "DefinitionError";
}

// ---- compiled form -------------------------------------------------------------------------

interface Compound {
  tag: string | null;
  id: string | null;
  classes: string[];
  attrs: string[];
  not: Compound[];
}

type Action = "through" | "text" | "attr" | "present" | "group" | "list";

interface Node {
  match: Compound;
  action: Action;
  key: string;
  attr: string;
  /** Children tested against descendants of the matched element. */
  children: Node[];
  /** Children tested against the matched element itself (`&` chains). */
  selfChildren: Node[];
  /** List keys of the record this node creates, initialised to [] so lists are never absent. */
  listKeys: string[];
}

type Rec = Record<string, unknown>;

const COMPOUND_TOKEN = /([a-zA-Z][a-zA-Z0-9-]*)|#([\w-]+)|\.([\w-]+)|\[([\w-]+)\]|:not\(([^()]*)\)/y;

function parseCompound(src: string, whole: string): Compound {
  const c: Compound = { tag: null, id: null, classes: [], attrs: [], not: [] };
  let pos = 0;
  while (pos < src.length) {
    COMPOUND_TOKEN.lastIndex = pos;
    const m = COMPOUND_TOKEN.exec(src);
    if (!m) throw new DefinitionError(`cannot parse selector ${JSON.stringify(whole)} at ${JSON.stringify(src.slice(pos))}`);
    // Read the end before handling the token: `:not(...)` recurses and reuses the same sticky regex.
    const end = COMPOUND_TOKEN.lastIndex;
    if (m[1] !== undefined) {
      if (pos !== 0) throw new DefinitionError(`tag name must come first in ${JSON.stringify(whole)}`);
      c.tag = m[1].toLowerCase();
    } else if (m[2] !== undefined) c.id = m[2];
    else if (m[3] !== undefined) c.classes.push(m[3]);
    else if (m[4] !== undefined) c.attrs.push(m[4].toLowerCase());
    else if (m[5] !== undefined) c.not.push(parseCompound(m[5].trim(), whole));
    pos = end;
  }
  return c;
}

const MATCH_ALL: Compound = { tag: null, id: null, classes: [], attrs: [], not: [] };

function compileFields(fields: Fields): { children: Node[]; selfChildren: Node[]; listKeys: string[] } {
  const children: Node[] = [];
  const selfChildren: Node[] = [];
  const listKeys: string[] = [];
  for (const [key, spec] of Object.entries(fields)) {
    if (spec.kind === "list") listKeys.push(key);
    const steps = spec.select.trim().split(/\s+/);
    // "&" alone is the matched element itself; "&.x" tests it for .x; "& .y" is just a descendant.
    let self = steps[0]!.startsWith("&");
    if (self) {
      if (steps[0] === "&") {
        steps.shift();
        if (steps.length > 0) self = false;
      } else steps[0] = steps[0]!.slice(1);
    }
    if (steps.length === 0 && !self) throw new DefinitionError(`empty selector for ${key}`);
    const leaf = compileLeaf(key, spec, steps.length > 0 ? parseCompound(steps[steps.length - 1]!, spec.select) : MATCH_ALL);
    // Build the chain from the leaf upward: every step but the last is a pass-through scope.
    let node = leaf;
    for (let i = steps.length - 2; i >= 0; i--) {
      node = { ...emptyNode(), match: parseCompound(steps[i]!, spec.select), action: "through", children: [node] };
    }
    (self ? selfChildren : children).push(node);
  }
  return { children, selfChildren, listKeys };
}

function emptyNode(): Node {
  return { match: MATCH_ALL, action: "through", key: "", attr: "", children: [], selfChildren: [], listKeys: [] };
}

function compileLeaf(key: string, spec: Spec, match: Compound): Node {
  const node: Node = { ...emptyNode(), match, action: spec.kind, key };
  if (spec.kind === "attr") node.attr = spec.attr.toLowerCase();
  if (spec.kind === "group" || spec.kind === "list") {
    const inner = compileFields(spec.fields);
    node.children = inner.children;
    node.selfChildren = inner.selfChildren;
    node.listKeys = inner.listKeys;
  }
  return node;
}

export interface CompiledDefinition<F extends Fields> {
  readonly root: Node;
  readonly endTag: string;
  /** Phantom: carries the extracted record type. */
  readonly _fields?: F;
}

export function compileDefinition<F extends Fields>(def: PageDefinition<F>): CompiledDefinition<F> {
  const inner = compileFields(def.fields);
  if (inner.selfChildren.length > 0) throw new DefinitionError("`&` selectors need an enclosing group or list");
  const root: Node = { ...emptyNode(), action: "group", children: inner.children, listKeys: inner.listKeys };
  return { root, endTag: def.endTag.toLowerCase() };
}

// ---- the streaming run ---------------------------------------------------------------------

const WS_RUNS = /\s+/g;

/**
 * Would foldSpace change `s`? A scan that settles most cell texts (plain printable ASCII with
 * single inner spaces) without a regular expression; anything else takes the regex path.
 */
function needsFold(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  if (s.charCodeAt(0) === 32 || s.charCodeAt(n - 1) === 32) return true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 32 && c < 127) continue;
    if (c === 32 && s.charCodeAt(i + 1) !== 32) continue;
    return true; // a double space, a control character, or non-ASCII that may be a space
  }
  return false;
}

/** Runs of white space (no-break and ideographic spaces included, as JS `\s` covers them) to one space, trimmed. */
export function foldSpace(s: string): string {
  return needsFold(s) ? s.replace(WS_RUNS, " ").trim() : s;
}

// The tokenizer runs with entity decoding off (most of a page is never read); the few values the
// definition captures are decoded here, text and attribute rules apart as HTML defines them.
const decodeText = (s: string): string => (s.includes("&") ? decodeHTML(s) : s);
const decodeAttr = (s: string): string => (s.includes("&") ? decodeHTMLAttribute(s) : s);

/** HTML white space as class lists use it (space, tab, LF, FF, CR). */
const isClassSeparator = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;

/** Does a class attribute hold the class `k`? Searching the raw attribute avoids splitting every one. */
function hasClass(cls: string, k: string): boolean {
  let i = cls.indexOf(k);
  while (i !== -1) {
    const end = i + k.length;
    if ((i === 0 || isClassSeparator(cls.charCodeAt(i - 1))) && (end === cls.length || isClassSeparator(cls.charCodeAt(end)))) return true;
    i = cls.indexOf(k, i + 1);
  }
  return false;
}

function newRecord(node: Node): Rec {
  const rec: Rec = {};
  for (const k of node.listKeys) rec[k] = [];
  return rec;
}

/**
 * One run of a compiled definition over one document, as an htmlparser2 handler. Speed matters
 * (a large page is 600 KB and a run parses thousands): state lives in fields and index-addressed
 * arrays, and class tests search the raw class attribute instead of splitting every one.
 */
class ExtractionRun<F extends Fields> {
  readonly root: Rec;
  complete = false;
  elements = 0;

  // Open scopes (the root, matched groups/lists, pass-through chain steps): parallel stacks.
  private readonly scopeNodes: Node[] = [];
  private readonly scopeRecs: Rec[] = [];
  private nScopes = 0;
  // Open text captures.
  private readonly capRecs: Rec[] = [];
  private readonly capKeys: string[] = [];
  private readonly capTexts: string[] = [];
  private nCaps = 0;
  // Per open element: the scope and capture counts before it opened, restored when it closes.
  private readonly scopeMarks: number[] = [];
  private readonly capMarks: number[] = [];
  private depth = 0;
  private rawTextDepth = 0; // inside <script>/<style>: text is code, never data

  // The element being opened.
  private curName = "";
  private curAttribs: Record<string, string> = {};
  private curClass = "";

  constructor(private readonly compiled: CompiledDefinition<F>) {
    this.root = newRecord(compiled.root);
    this.scopeNodes[0] = compiled.root;
    this.scopeRecs[0] = this.root;
    this.nScopes = 1;
  }

  private matches(c: Compound): boolean {
    if (c.tag !== null && c.tag !== this.curName) return false;
    if (c.id !== null && this.curAttribs.id !== c.id) return false;
    const classes = c.classes;
    for (let i = 0; i < classes.length; i++) if (!hasClass(this.curClass, classes[i]!)) return false;
    for (const a of c.attrs) if (this.curAttribs[a] === undefined) return false;
    for (const n of c.not) if (this.matches(n)) return false;
    return true;
  }

  private pushScope(node: Node, rec: Rec): void {
    this.scopeNodes[this.nScopes] = node;
    this.scopeRecs[this.nScopes] = rec;
    this.nScopes++;
    for (const sc of node.selfChildren) if (this.matches(sc.match)) this.activate(sc, rec);
  }

  private activate(node: Node, rec: Rec): void {
    switch (node.action) {
      case "through":
        this.pushScope(node, rec);
        return;
      case "text":
        if (!(node.key in rec)) {
          this.capRecs[this.nCaps] = rec;
          this.capKeys[this.nCaps] = node.key;
          this.capTexts[this.nCaps] = "";
          this.nCaps++;
        }
        return;
      case "attr":
        if (!(node.key in rec)) rec[node.key] = decodeAttr(this.curAttribs[node.attr] ?? "");
        return;
      case "present":
        rec[node.key] = true;
        return;
      case "group": {
        let child = rec[node.key] as Rec | undefined;
        if (child === undefined) rec[node.key] = child = newRecord(node);
        this.pushScope(node, child);
        return;
      }
      case "list": {
        const child = newRecord(node);
        (rec[node.key] as Rec[]).push(child);
        this.pushScope(node, child);
        return;
      }
    }
  }

  onopentag(name: string, attribs: Record<string, string>): void {
    this.elements++;
    const d = this.depth++;
    this.scopeMarks[d] = this.nScopes;
    this.capMarks[d] = this.nCaps;
    if (name === "script" || name === "style") this.rawTextDepth++;
    const cls = attribs.class;
    this.curName = name;
    this.curAttribs = attribs;
    this.curClass = cls === undefined ? "" : cls;
    // Only scopes open before this element can claim it (not the ones it opens itself).
    const n = this.nScopes;
    for (let i = 0; i < n; i++) {
      const children = this.scopeNodes[i]!.children;
      for (let j = 0; j < children.length; j++) {
        const child = children[j]!;
        if (this.matches(child.match)) this.activate(child, this.scopeRecs[i]!);
      }
    }
  }

  ontext(data: string): void {
    if (this.nCaps === 0 || this.rawTextDepth > 0) return;
    for (let i = 0; i < this.nCaps; i++) this.capTexts[i] += data;
  }

  onclosetag(name: string, isImplied: boolean): void {
    if (name === "script" || name === "style") this.rawTextDepth--;
    if (!isImplied && name === this.compiled.endTag) this.complete = true;
    if (this.depth === 0) return;
    const d = --this.depth;
    const capMark = this.capMarks[d]!;
    while (this.nCaps > capMark) {
      const i = --this.nCaps;
      const rec = this.capRecs[i]!;
      const key = this.capKeys[i]!;
      if (!(key in rec)) rec[key] = foldSpace(decodeText(this.capTexts[i]!));
    }
    this.nScopes = this.scopeMarks[d]!;
  }
}

export function extract<F extends Fields>(compiled: CompiledDefinition<F>, html: string): Extraction<F> {
  const run = new ExtractionRun(compiled);
  const parser = new Parser(run, { decodeEntities: false, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.end(html);
  return { record: run.root as ExtractedFields<F>, complete: run.complete, elements: run.elements };
}
