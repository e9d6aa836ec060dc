// Deliveries that succeeded leave with the events they carried (ROSTER_EVENT_RETENTION_DAYS), in paced batches.
import type { Clock } from '../../lib/clock.ts';
import { inPacedBatches, type PurgeOptions } from '../retention/paced-batches.ts';
import type { WebhookStore } from './ports.ts';

export function pruneWebhookDeliveries(
  deps: { readonly webhooks: Pick<WebhookStore, 'pruneBefore'>; readonly clock: Clock },
  retentionDays: number,
  options?: PurgeOptions,
): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - retentionDays * 86_400_000).toISOString();
  return inPacedBatches((limit) => deps.webhooks.pruneBefore(cutoff, limit), options);
}
