// Counter and histogram families for the request path (ADR 0033). prom-client's own hash and validate the label
// object on every call (several µs per request for the three a SCIM request makes); these find a series by its
// joined label values and add to plain numbers. The registry renders them through prom-client's metric shape
// (`get()`), so the exposition format stays prom-client's.
import type { Metric, Registry } from 'prom-client';

interface Value {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

/** What Registry#metrics() reads from a metric. */
interface Rendered {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: Value[];
}

/** A series' key: its label values joined by a character no label value holds. */
export const keyOf = (values: readonly string[]) => values.join('\u0000');

const labelsOf = (names: readonly string[], values: readonly string[]) =>
  Object.fromEntries(names.map((name, i) => [name, values[i] ?? '']));

abstract class Family<S> {
  protected readonly series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  protected seriesOf(values: readonly string[], key: string, make: (labels: Record<string, string>) => S): S {
    let found = this.series.get(key);
    if (found === undefined) {
      found = make(labelsOf(this.labelNames, values));
      this.series.set(key, found);
    }
    return found;
  }

  abstract get(): Rendered;

  reset(): void {
    this.series.clear();
  }
}

export class CounterFamily extends Family<{ readonly labels: Record<string, string>; value: number }> {
  /** `key`: the label values joined (given when the caller has it already, for a second family). */
  inc(values: readonly string[], key = keyOf(values)): void {
    this.seriesOf(values, key, (labels) => ({ labels, value: 0 })).value += 1;
  }

  get(): Rendered {
    const values = [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value }));
    return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values };
  }
}

interface HistogramSeries {
  readonly labels: Record<string, string>;
  /** Observations per bucket (not cumulative), the last one past every bound (+Inf). */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class HistogramFamily extends Family<HistogramSeries> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    registry: Registry,
    private readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames, registry);
  }

  observe(values: readonly string[], value: number, key = keyOf(values)): void {
    const s = this.seriesOf(values, key, (labels) => ({
      labels,
      counts: new Array<number>(this.bounds.length + 1).fill(0),
      sum: 0,
      count: 0,
    }));
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  get(): Rendered {
    const values: Value[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}
