// Tracing (ADR 0034): whether an OpenTelemetry SDK was started in this process, and Roster's tracer. Off unless
// the OTEL_* variables ask for it; while off, nothing is wrapped or hooked, so requests and queries pay nothing.
import { type Tracer, trace } from '@opentelemetry/api';

let active = false;

/** Called once the SDK is registered (src/telemetry/tracing.ts); adapters built after it add their spans. */
export function markTracingActive(): void {
  active = true;
}

export function tracingActive(): boolean {
  return active;
}

export function rosterTracer(): Tracer {
  return trace.getTracer('roster');
}
