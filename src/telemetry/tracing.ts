// OpenTelemetry tracing (ADR 0034): started by main.ts before anything else is built, only when the standard OTEL_*
// variables ask for traces. NodeSDK reads the exporter, endpoint, headers, sampler and resource from them; Roster
// adds its own spans (HTTP, store) and the undici instrumentation for outbound calls (the IdP, webhooks).
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { markTracingActive } from '../lib/tracing.ts';

export { tracingRequested } from './tracing-requested.ts';

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
