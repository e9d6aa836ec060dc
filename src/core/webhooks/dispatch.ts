// Fan-out: which endpoints receive which feed events. Pure; the store runs it inside the dispatcher's transaction.
import { newId } from '../../lib/ids.ts';
import { comparePositions } from '../events/position.ts';
import type { DirectoryEvent } from '../events/records.ts';
import type { DispatchPlan, DispatchTarget, FeedEntry } from './ports.ts';

/**
 * The webhook body: the envelope exactly as the feed serialises it (same keys, same order), with `data` spliced in
 * as stored rather than parsed and serialised again.
 */
export function envelopeText(event: DirectoryEvent, dataJson: string): string {
  return `{"id":${JSON.stringify(event.id)},"type":${JSON.stringify(event.type)},"tenantId":${JSON.stringify(
    event.tenantId,
  )},"occurredAt":${JSON.stringify(event.occurredAt)},"data":${dataJson}}`;
}

function receives(target: DispatchTarget, entry: FeedEntry): boolean {
  if (target.tenantId !== null && target.tenantId !== entry.event.tenantId) return false;
  if (target.eventTypes !== null && !target.eventTypes.includes(entry.event.type)) return false;
  return comparePositions(entry.position, target.start) > 0;
}

/** One delivery per (event × endpoint that takes it), in feed order: the queue order of each endpoint. */
export const planDeliveries: DispatchPlan = (entries, targets) => {
  const out = [];
  for (const entry of entries) {
    let body: string | undefined;
    for (const target of targets) {
      if (!receives(target, entry)) continue;
      body ??= envelopeText(entry.event, entry.dataJson);
      out.push({ id: `wdl_${newId()}`, webhookId: target.id, event: entry.event, body });
    }
  }
  return out;
};
