/**
 * Certificates expiring per week over the next 90 days, drawn as inline SVG: a bar per week, and one
 * before them for what has already expired. No script and nothing fetched at view time (a
 * CloudWatch custom widget runs no JavaScript: CloudWatch User Guide, "Interactivity in the custom
 * widget"). Counts and dates are the only text in it, so nothing untrusted reaches the drawing.
 */

const DAY_MS = 86_400_000;
export const TIMELINE_DAYS = 90;
export const TIMELINE_WEEKS = Math.ceil(TIMELINE_DAYS / 7);

export interface TimelineBucket {
  /** "expired", or the week's first day (YYYY-MM-DD). */
  label: string;
  count: number;
  kind: "expired" | "warn" | "later";
}

/**
 * Weekly counts from `now`: the bucket of already expired certificates, then week 1 (days 0-6)…
 * week 13 (days 84-90). Certificates beyond 90 days are not drawn. A week is "warn" when it starts
 * inside the warning window.
 */
export function timelineBuckets(notAfters: readonly string[], now: Date, warnDays: number): TimelineBucket[] {
  const buckets = emptyTimeline(now, warnDays);
  for (const notAfter of notAfters) countExpiry(buckets, Date.parse(notAfter), now.getTime());
  return buckets;
}

/** The buckets with nothing counted yet. */
export function emptyTimeline(now: Date, warnDays: number): TimelineBucket[] {
  const buckets: TimelineBucket[] = [{ label: "expired", count: 0, kind: "expired" }];
  for (let week = 0; week < TIMELINE_WEEKS; week++) {
    const start = new Date(now.getTime() + week * 7 * DAY_MS);
    buckets.push({
      label: start.toISOString().slice(0, 10),
      count: 0,
      kind: week * 7 < warnDays ? "warn" : "later",
    });
  }
  return buckets;
}

/**
 * Counts one certificate expiring at `notAfterMs` (epoch milliseconds; NaN counts nowhere), so the
 * page fills the timeline in the same pass that counts its rows, with no date parsed twice.
 */
export function countExpiry(buckets: TimelineBucket[], notAfterMs: number, nowMs: number): void {
  const ms = notAfterMs - nowMs;
  if (Number.isNaN(ms)) return;
  if (ms < 0) {
    buckets[0]!.count++;
  } else if (ms <= TIMELINE_DAYS * DAY_MS) {
    buckets[1 + Math.min(TIMELINE_WEEKS - 1, Math.floor(ms / (7 * DAY_MS)))]!.count++;
  }
}

const COLORS: Record<TimelineBucket["kind"], string> = {
  expired: "#d13212",
  warn: "#f89256",
  later: "#0073bb",
};

/** The buckets as an SVG bar chart with a title for screen readers, counts above the bars. */
export function timelineSvg(buckets: readonly TimelineBucket[]): string {
  const width = 760;
  const height = 180;
  const top = 20;
  const bottom = 40;
  const left = 8;
  const slot = (width - left * 2) / buckets.length;
  const bar = slot * 0.7;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const plot = height - top - bottom;
  const parts = buckets.map((bucket, i) => {
    const h = bucket.count === 0 ? 0 : Math.max(2, (bucket.count / max) * plot);
    const x = left + i * slot + (slot - bar) / 2;
    const y = top + plot - h;
    const label = bucket.kind === "expired" ? "expired" : bucket.label.slice(5);
    const cx = (x + bar / 2).toFixed(1);
    return [
      `<g class="week"><title>${bucket.kind === "expired" ? "already expired" : `week from ${bucket.label}`}: ${bucket.count}</title>`,
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[bucket.kind]}"></rect>`,
      `<text x="${cx}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="11">${bucket.count}</text>`,
      `<text x="${cx}" y="${height - bottom + 16}" text-anchor="middle" font-size="10" fill="#545b64">${label}</text></g>`,
    ].join("");
  });
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  return [
    `<svg class="timeline" role="img" viewBox="0 0 ${width} ${height}" width="100%" height="${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<title>Certificates expiring per week over the next ${TIMELINE_DAYS} days: ${total}</title>`,
    `<line x1="${left}" y1="${top + plot}" x2="${width - left}" y2="${top + plot}" stroke="#aab7b8"></line>`,
    ...parts,
    `<text x="${left}" y="${height - 6}" font-size="10" fill="#545b64">weeks starting (MM-DD, UTC)</text>`,
    "</svg>",
  ].join("");
}
