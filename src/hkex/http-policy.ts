// Politeness and retry policy for the HKEX client: a steady request rate shared by every
// connection, and exponential backoff with jitter that honours the server's Retry-After.

/**
 * Spaces request starts `1000 / rate` ms apart across all callers (a single-slot scheduler rather
 * than a bucket: HKEX asks for a steady rate, not bursts). `rate` <= 0 or Infinity: no limit.
 */
export class RateLimiter {
  private next = 0;
  private pausedUntil = 0;
  private readonly gapMs: number;

  constructor(rate: number) {
    this.gapMs = rate > 0 && Number.isFinite(rate) ? 1000 / rate : 0;
  }

  /** Resolves when the caller may start its request (or as soon as `signal` aborts). */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = Date.now();
      const slot = Math.max(now, this.next);
      this.next = slot + this.gapMs;
      if (slot > now) await sleep(slot - now, signal);
      // A pause that began while this caller slept covers it too: it queues again behind the
      // pause (taking a fresh, spaced slot) rather than going out during it.
      if (signal?.aborted || Date.now() >= this.pausedUntil) return;
    }
  }

  /**
   * Push every request not yet started back (a 429 or maintenance notice means the whole site
   * wants a pause), including callers already waiting for a slot.
   */
  pauseAll(ms: number): void {
    const until = Date.now() + ms;
    this.pausedUntil = Math.max(this.pausedUntil, until);
    this.next = Math.max(this.next, until);
  }
}

export interface BackoffOptions {
  /** first delay, ms */
  minMs: number;
  /** cap on our own delays, ms */
  maxMs: number;
  /** cap on a server's Retry-After, ms (default 5 minutes): longer asks are taken as this */
  retryAfterCapMs?: number;
}

/**
 * Delay before retry number `attempt` (1-based): "equal jitter", half fixed and half random, so
 * clients that failed together do not come back together. A Retry-After from the server wins
 * when it asks for longer (it is the server's explicit wish; capped at retryAfterCapMs).
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, retryAfterMs: number | null, random = Math.random): number {
  const base = Math.min(opts.maxMs, opts.minMs * 2 ** (attempt - 1));
  const jittered = base / 2 + random() * (base / 2);
  if (retryAfterMs !== null && retryAfterMs > jittered) return Math.min(opts.retryAfterCapMs ?? 300_000, retryAfterMs);
  return jittered;
}

/** Retry-After in ms: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === "") return null;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

/** Resolves after `ms`, or at once when `signal` aborts (a stopping run must not sit out a backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
