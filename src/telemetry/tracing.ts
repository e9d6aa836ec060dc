// OpenTelemetry tracing (ADR 0034): started by main.ts before anything else is built, only when the standard OTEL_*
// variables ask for traces. NodeSDK reads the exporter, endpoint, headers, sampler and resource from them; Roster
// adds its own spans (HTTP, store) and the undici instrumentation for outbound calls (the IdP, webhooks).
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { markTracingActive } from '../lib/tracing.ts';

/**
 * Whether the environment asks for traces: an exporter named in OTEL_TRACES_EXPORTER (other than `none`) or an OTLP
 * endpoint, and the SDK not disabled. The SDK's own default (export to localhost:4318) would make tracing on by
 * default; Roster's is off.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (exporters.includes('none')) return false;
  return exporters.length > 0 || !!env.OTEL_EXPORTER_OTLP_ENDPOINT || !!env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
}

/** The URL of an outbound request without its query and fragment (an authorization URL's state, a token). */
function withoutQuery(origin: string, path: string): string {
  const url = new URL(path, origin);
  url.search = '';
  url.hash = '';
  url.username = '';
  url.password = '';
  return url.href;
}

export interface TracingOptions {
  /** Tests: where spans go instead of the exporter the environment names. */
  readonly spanProcessors?: NodeSDKConfiguration['spanProcessors'];
}

/** Starts the SDK; returns its shutdown (flushes what is buffered). */
export function startTracing(options: TracingOptions = {}): () => Promise<void> {
  // Traces only: Roster's metrics are Prometheus's (ADR 0033) and its logs pino's; the SDK would otherwise set up
  // OTLP exporters for both by default.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'roster',
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    instrumentations: [
      new UndiciInstrumentation({
        // url.full and url.query would carry a query string's secrets: the path is enough to tell calls apart.
        startSpanHook: (request) => ({ 'url.full': withoutQuery(request.origin, request.path), 'url.query': '' }),
      }),
    ],
  });
  sdk.start();
  markTracingActive();
  return () => sdk.shutdown();
}
