// Deliveries that succeeded leave with the events they carried (ROSTER_EVENT_RETENTION_DAYS), in paced batches.
import type { Clock } from '../../lib/clock.ts';
import { type PurgeOptions, purgeOlderThan } from '../retention/paced-batches.ts';
import type { WebhookStore } from './ports.ts';

export function pruneWebhookDeliveries(
  deps: { readonly webhooks: Pick<WebhookStore, 'pruneBefore'>; readonly clock: Clock },
  retentionDays: number,
  options?: PurgeOptions,
): Promise<number> {
  return purgeOlderThan(
    deps.clock,
    retentionDays,
    (cutoff, limit) => deps.webhooks.pruneBefore(cutoff, limit),
    options,
  );
}
