// The provisioning log's chart, drawn on the server as SVG: requests and failures per time bucket. No script, no
// chart library; presentation attributes only, so the strict CSP holds. A table-free text summary goes with it.
import { html, type Markup } from './html.ts';

export interface Bucket {
  readonly start: number;
  readonly requests: number;
  readonly failures: number;
}

/** Spreads `times` (ms, with a failed flag) over `count` equal buckets from the oldest to the newest. */
export function bucketize(entries: readonly { at: number; failed: boolean }[], count = 24): Bucket[] {
  if (entries.length === 0) return [];
  const first = Math.min(...entries.map((e) => e.at));
  const last = Math.max(...entries.map((e) => e.at));
  const width = Math.max(1, Math.ceil((last - first + 1) / count));
  const buckets = Array.from({ length: count }, (_, i) => ({ start: first + i * width, requests: 0, failures: 0 }));
  for (const e of entries) {
    const b = buckets[Math.min(count - 1, Math.floor((e.at - first) / width))]!;
    b.requests++;
    if (e.failed) b.failures++;
  }
  return buckets;
}

const W = 720;
const H = 180;
const PAD = 28;

export function requestChart(buckets: readonly Bucket[]): Markup {
  if (buckets.length === 0) return html`<p>No requests to chart yet.</p>`;
  const max = Math.max(1, ...buckets.map((b) => b.requests));
  const slot = (W - 2 * PAD) / buckets.length;
  const bar = Math.max(2, slot * 0.8);
  const y = (n: number) => H - PAD - (n / max) * (H - 2 * PAD);
  const bars = buckets.map((b, i) => {
    const x = (PAD + i * slot).toFixed(1);
    return html`<rect x="${x}" y="${y(b.requests).toFixed(1)}" width="${bar.toFixed(1)}" height="${(H - PAD - y(b.requests)).toFixed(1)}" fill="#3b6fd4"></rect>${
      b.failures > 0
        ? html`<rect x="${x}" y="${y(b.failures).toFixed(1)}" width="${bar.toFixed(1)}" height="${(H - PAD - y(b.failures)).toFixed(1)}" fill="#c62828"></rect>`
        : ''
    }`;
  });
  const total = buckets.reduce((n, b) => n + b.requests, 0);
  const failed = buckets.reduce((n, b) => n + b.failures, 0);
  const from = new Date(buckets[0]!.start).toISOString().slice(0, 19);
  return html`<figure class="chart"><svg role="img" aria-labelledby="chart-title" viewBox="0 0 ${W} ${H}" width="100%" height="${H}" xmlns="http://www.w3.org/2000/svg">
<title id="chart-title">Requests (blue) and failures (red) over time: ${total} requests, ${failed} failed</title>
<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#5c6577"></line>
<text x="${PAD}" y="${H - 8}" font-size="11" fill="#1d2433">${from} UTC</text>
<text x="${PAD}" y="${PAD - 10}" font-size="11" fill="#1d2433">${max} per bucket</text>${bars}</svg>
<figcaption>${total} requests, <span class="bad">${failed} failed</span>, in ${buckets.length} equal time buckets (blue: requests; red: failures).</figcaption></figure>`;
}
