import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { DeploymentSchema, FIELD_LIMITS } from '../../lib/domain/deployment.ts';
import { openApiDocument } from '../../lib/app/openapi.ts';
import { CurrentQuerySchema, HistoryQuerySchema } from '../../lib/domain/queries.ts';
import { toCurrentView, toPackageOverview, toView } from '../../lib/domain/record.ts';
import {
  CurrentPageSchema,
  DeploymentEventSchema,
  EventDetailSchema,
  FrequencySchema,
  OverviewSchema,
  PageSchema,
  ProblemSchema,
  SlackMessageSchema,
} from '../../lib/domain/views.ts';
import * as z from '../../lib/domain/zod.ts';
import { problemResponse } from '../../lib/http/responses.ts';
import { documentedPath, ROUTE_IDS, ROUTES } from '../../lib/domain/routes.ts';

type Operation = {
  parameters?: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: { content: Record<string, { schema: { required?: string[]; properties: Record<string, { maxLength?: number }> } }> };
};
const doc = openApiDocument() as { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    // The validator does refuse a broken document (an operation without responses, a bad parameter location).
    const broken = structuredClone(doc);
    broken.paths['/api/feeds']!.get = { parameters: [{ name: 'x', in: 'body', required: false }] } as Operation;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('lists exactly the documented routes of lib/domain/routes.ts, each with an operation for each of its methods', () => {
    const documented = ROUTE_IDS.filter((id) => ROUTES[id].documented);
    expect(Object.keys(doc.paths).sort()).toEqual(documented.map((id) => documentedPath(ROUTES[id])).sort());
    for (const id of documented) {
      expect(Object.keys(doc.paths[documentedPath(ROUTES[id])]!).sort(), id).toEqual(ROUTES[id].methods.map((m) => m.toLowerCase()).sort());
    }
    // Every API route is documented; only the site's own (the page and this document) are not.
    expect(ROUTE_IDS.filter((id) => !ROUTES[id].documented).map((id) => ROUTES[id].function)).toEqual(['site', 'site']);
  });

  it("takes the body's fields, which are required and their limits from the schema that validates the body", () => {
    const body = doc.paths['/api/package-deployment/']!.post!.requestBody!.content;
    for (const type of ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const schema = body[type]!.schema;
      expect(Object.keys(schema.properties)).toEqual(Object.keys(DeploymentSchema.shape));
      expect(schema.required).toEqual(['Application', 'Description', 'Target', 'FeedName', 'PackageName', 'Version']);
      for (const [name, limit] of Object.entries(FIELD_LIMITS)) expect(schema.properties[name]!.maxLength).toBe(limit);
    }
  });

  it("lists each read endpoint's query parameters from its schema, FeedName required", () => {
    const names = (path: string) => doc.paths[path]!.get!.parameters!.map((p) => `${p.name}${p.required ? '*' : ''}`);
    expect(names('/api/deployments')).toEqual(Object.keys(HistoryQuerySchema.shape).map((n) => (n === 'FeedName' ? 'FeedName*' : n)));
    expect(names('/api/deployments/current')).toEqual(
      Object.keys(CurrentQuerySchema.shape).map((n) => (['FeedName', 'PackageName'].includes(n) ? `${n}*` : n)),
    );
    expect(names('/api/deployments/overview')).toEqual(['FeedName*', 'GroupName', 'Target', 'Region', 'Application', 'limit', 'cursor']);
    expect(names('/api/deployments/frequency')).toEqual(['FeedName*', 'GroupName', 'PackageName', 'Target', 'from', 'to', 'interval']);
  });

  it('describes the overview and frequency answers as the handlers build them', () => {
    const target = toCurrentView({
      id: '01J',
      feedName: 'F',
      packageName: 'P',
      version: '2.0.0',
      previousVersion: '1.0.0',
      target: 'T',
      application: 'A',
      description: 'D',
      userName: 'U',
      date: '2026-01-01T00:00:00.000Z',
      receivedAt: '2026-01-01T00:00:01.000Z',
      region: 'eu-west-1',
      keyId: 'anonymous',
    });
    expect(target).toMatchObject({ PreviousVersion: '1.0.0', Change: 'upgraded' });
    const overview = {
      Packages: [
        toPackageOverview([
          {
            ...target,
            id: '01J',
            feedName: 'F',
            packageName: 'P',
            version: '2.0.0',
            target: 'T',
            application: 'A',
            description: 'D',
            userName: 'U',
            date: target.Date,
            receivedAt: target.ReceivedAt,
            region: 'eu-west-1',
            keyId: 'anonymous',
          },
        ]),
      ],
    };
    expect(OverviewSchema.safeParse(overview).success).toBe(true);
    expect(CurrentPageSchema.safeParse({ Items: [target] }).success).toBe(true);
    expect(CurrentPageSchema.safeParse({ Items: [{ ...target, Change: 'downgraded' }] }).success).toBe(false);
    expect(FrequencySchema.safeParse({ Interval: 'week', Buckets: [{ Start: '2026-11-23', Count: 12, Failed: 1 }] }).success).toBe(true);
    expect(FrequencySchema.safeParse({ Interval: 'month', Buckets: [] }).success).toBe(false);
  });

  it('has response schemas that accept what the handlers return', () => {
    const view = toView({
      pk: 'p',
      sk: 's',
      id: '2026-01-01T00:00:00.000Z#01J',
      feedName: 'F',
      packageName: 'P',
      version: '1',
      target: 'T',
      application: 'A',
      description: 'D',
      userName: 'U',
      date: '2026-01-01T00:00:00.000Z',
      receivedAt: '2026-01-01T00:00:01.000Z',
      region: 'eu-west-1',
      keyId: 'anonymous',
    } as Parameters<typeof toView>[0]);
    expect(PageSchema.parse({ Items: [view], NextCursor: 'c' })).toEqual({ Items: [view], NextCursor: 'c' });
    expect(ProblemSchema.safeParse(JSON.parse(problemResponse(404, 'no such feed').body as string)).success).toBe(true);
    expect(PageSchema.safeParse({ Items: [{ ...view, Region: 1 }] }).success).toBe(false);
  });
});

describe('the webhooks section', () => {
  it('documents the delivery: its headers, and a body that is the event the dispatcher sends (or a Slack message)', async () => {
    const { announcedEvent, webhookBody } = await import('../../lib/domain/events.ts');
    const hooks = (
      openApiDocument() as {
        webhooks: Record<
          string,
          {
            post: { parameters: Array<{ name: string; in: string }>; requestBody: { content: Record<string, { schema: { oneOf: Array<{ $ref: string }> } }> } };
          }
        >;
      }
    ).webhooks;
    const post = hooks.deploymentEvent!.post;
    expect(post.parameters.map((p) => `${p.in}:${p.name}`)).toEqual([
      'header:X-Deployment-Event',
      'header:X-Deployment-Id',
      'header:X-Deployment-Delivery',
      'header:X-Deployment-Signature-256',
    ]);
    expect(post.requestBody.content['application/json']!.schema.oneOf.map((s) => s.$ref)).toEqual([
      '#/components/schemas/DeploymentEvent',
      '#/components/schemas/SlackMessage',
    ]);
    const image = {
      pk: 'C#F#x',
      sk: 'T#t',
      id: '01J00000000000000000000001',
      feedName: 'F',
      packageName: 'P',
      version: '2.0',
      target: 't',
      application: 'a',
      description: 'd',
      userName: 'u',
      date: '2026-01-01T00:00:00.000Z',
      receivedAt: '2026-01-01T00:00:00.000Z',
      keyId: 'anonymous',
      region: 'eu-west-1',
    };
    const event = announcedEvent(
      { eventName: 'MODIFY', newImage: image, oldImage: { ...image, id: '01J00000000000000000000000', version: '1.0' } },
      'eu-west-1',
    )!;
    // Exactly the documented fields, in the event and in its detail.
    const exactEvent = z.strictObject({ ...DeploymentEventSchema.shape, detail: z.strictObject(EventDetailSchema.shape) });
    expect(exactEvent.safeParse(JSON.parse(webhookBody(event, 'json'))).success).toBe(true);
    expect(exactEvent.safeParse({ ...event, detail: { ...event.detail, keyId: 'anonymous' } }).success).toBe(false);
    expect(SlackMessageSchema.safeParse(JSON.parse(webhookBody(event, 'slack'))).success).toBe(true);
    expect(DeploymentEventSchema.safeParse({ ...event, detail: { ...event.detail, Change: 'promoted' } }).success).toBe(false);
  });
});
