// JSON schemas and views of the webhook routes (OpenAPI): endpoints, deliveries with their attempts.
import { EVENT_TYPES } from '../../core/events/records.ts';
import type { DeliveryWithAttempts, WebhookRecord } from '../../core/webhooks/records.ts';

const nullableString = { type: ['string', 'null'] } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

const eventTypes = {
  type: ['array', 'null'],
  minItems: 1,
  maxItems: EVENT_TYPES.length,
  items: { type: 'string', maxLength: 64 },
  description: 'Event types to deliver (docs/events.md); left out or null: every type',
} as const;

export const webhookSchema = {
  type: 'object',
  required: ['id', 'url', 'eventTypes', 'enabled', 'createdAt'],
  properties: {
    id: { type: 'string' },
    url: { type: 'string' },
    description: nullableString,
    eventTypes: { type: ['array', 'null'], items: { type: 'string' } },
    enabled: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    nextAttemptAt: { ...nullableTime, description: 'While failing: when the held-back delivery is tried again' },
    failingSince: { ...nullableTime, description: 'When the current run of failures began' },
    disabledAt: nullableTime,
    disabledReason: nullableString,
    previousSecretExpiresAt: {
      ...nullableTime,
      description: 'After a rotation: until then the previous secret signs too (a second v1 signature)',
    },
  },
} as const;

export const createdWebhookSchema = {
  ...webhookSchema,
  required: [...webhookSchema.required, 'secret'],
  properties: {
    ...webhookSchema.properties,
    secret: { type: 'string', description: 'whsec_…: shown only now; verify deliveries with it' },
  },
} as const;

export const createWebhookBody = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    eventTypes: eventTypes,
    description: { type: ['string', 'null'], maxLength: 500 },
    enabled: { type: 'boolean' },
  },
} as const;

export const updateWebhookBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: createWebhookBody.properties,
} as const;

const attemptSchema = {
  type: 'object',
  properties: {
    n: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    status: { type: ['integer', 'null'], description: 'HTTP status, or null when no response came' },
    latencyMs: { type: 'integer' },
    excerpt: { ...nullableString, description: 'The start of the response body (at most 4 KiB)' },
    error: nullableString,
  },
} as const;

export const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    eventId: { type: 'string' },
    eventType: { type: 'string' },
    tenantId: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] },
    attempts: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    firstAttemptAt: nullableTime,
    nextAttemptAt: nullableTime,
    deliveredAt: nullableTime,
    lastStatus: { type: ['integer', 'null'] },
    lastLatencyMs: { type: ['integer', 'null'] },
    lastExcerpt: nullableString,
    lastError: nullableString,
    attemptList: { type: 'array', items: attemptSchema },
  },
} as const;

export function webhookView(w: WebhookRecord) {
  return {
    id: w.id,
    url: w.url,
    description: w.description,
    eventTypes: w.eventTypes,
    enabled: w.enabled,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
    nextAttemptAt: w.nextAttemptAt,
    failingSince: w.failingSince,
    disabledAt: w.disabledAt,
    disabledReason: w.disabledReason,
    previousSecretExpiresAt: w.previousSecretUntil,
  };
}

export function deliveryView(d: DeliveryWithAttempts) {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    tenantId: d.tenantId,
    status: d.status,
    attempts: d.attempts,
    createdAt: d.createdAt,
    firstAttemptAt: d.firstAttemptAt,
    nextAttemptAt: d.nextAttemptAt,
    deliveredAt: d.deliveredAt,
    lastStatus: d.lastStatus,
    lastLatencyMs: d.lastLatencyMs,
    lastExcerpt: d.lastExcerpt,
    lastError: d.lastError,
    attemptList: d.attemptList,
  };
}
