// Whether to trace, decided before the OpenTelemetry SDK is loaded: main.ts imports the SDK (src/telemetry/tracing.ts)
// only when this says yes, so a server that does not trace does not hold it in memory (ADR 0056).

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
