// Content hashes of the dataset's files, remembered by (path, size, mtime) in the cache folder.
// The month chunks are keyed by content, not by size and mtime: a git checkout gives every file a
// new mtime, and the nightly runs on a fresh checkout, so an mtime key would call every month
// changed every night. Hashing reads each file once per checkout (a full-market year's 300 MiB of
// holdings in about a second); later runs on the same files only stat them.
import { createHash } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../../src/lib/atomic.ts";

interface Memo {
  file: string;
  entries: Map<string, string>;
  dirty: boolean;
}

const memos = new Map<string, Memo>();

function memoFor(dir: string): Memo {
  let m = memos.get(dir);
  if (!m) {
    const file = path.join(dir, "file-hashes.json");
    let entries = new Map<string, string>();
    try {
      entries = new Map(Object.entries(JSON.parse(readFileSync(file, "utf8")) as Record<string, string>));
    } catch {
      // absent or unreadable: start empty (it is only a memo)
    }
    m = { file, entries, dirty: false };
    memos.set(dir, m);
  }
  return m;
}

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** The SHA-256 of `file`'s bytes, from the memo in `dir` when its size and mtime are unchanged. */
export async function contentHash(dir: string, file: string): Promise<string> {
  const memo = memoFor(dir);
  const s = statSync(file);
  const id = `${path.resolve(file)}\t${s.size}\t${Math.trunc(s.mtimeMs)}`;
  const known = memo.entries.get(id);
  if (known) return known;
  const hash = await sha256(file);
  memo.entries.set(id, hash);
  memo.dirty = true;
  return hash;
}

/** Write the memo back (only entries of files that still exist, so it does not grow forever). */
export async function saveContentHashes(dir: string) {
  const memo = memos.get(dir);
  if (!memo?.dirty) return;
  const live: Record<string, string> = {};
  for (const [id, hash] of memo.entries) {
    const [file, size, mtime] = id.split("\t");
    try {
      const s = statSync(file!);
      if (String(s.size) === size && String(Math.trunc(s.mtimeMs)) === mtime) live[id] = hash;
    } catch {
      // gone
    }
  }
  await writeFileAtomic(memo.file, JSON.stringify(live));
  memo.dirty = false;
}
