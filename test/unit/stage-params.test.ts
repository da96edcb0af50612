import { createRequire } from 'node:module';
import { beforeEach, describe, expect, it } from 'vitest';

/** infra/stage.cjs: the stage parameters of serverless.yml, parsed and checked when the template is packaged. */
type Stage = {
  parseRegions: (raw: unknown, deployRegion: string) => string[];
  parseInteger: (name: string, raw: unknown, min: number, max: number) => number;
  parseRetention: (raw: unknown) => number;
  parseDeletionProtection: (raw: unknown, stage: string) => boolean;
  parseCors: (raw: unknown) => false | { allowedOrigins: string[] };
  replicaSpecs: (regions: string[], stage: string) => Array<Record<string, unknown>>;
  regions: (input: { resolveVariable: (v: string) => Promise<unknown> }) => Promise<string[]>;
  checkStage: (stage: string, service: string, functions: Record<string, { name?: string }>) => string;
  stage: (input: { resolveVariable: (v: string) => Promise<unknown> }) => Promise<string>;
};
const stage = createRequire(import.meta.url)('../../infra/stage.cjs') as Stage;

beforeEach(() => {
  expect.hasAssertions();
});

describe('regions', () => {
  it('default to the region deployed to; a list keeps its order (the first is the primary)', () => {
    expect(stage.parseRegions('', 'eu-central-1')).toEqual(['eu-central-1']);
    expect(stage.parseRegions(' eu-west-1, us-east-1 ,ap-southeast-2', 'us-east-1')).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-2']);
    expect(stage.parseRegions('us-gov-west-1', 'us-gov-west-1')).toEqual(['us-gov-west-1']);
  });

  it('refuse a region deployed to but not listed, a name that is no region, a region listed twice', () => {
    expect(() => stage.parseRegions('eu-west-1', 'us-east-1')).toThrow(/us-east-1, which is not listed/);
    expect(() => stage.parseRegions('eu-west-1,Europe', 'eu-west-1')).toThrow(/"Europe" is not an AWS region name/);
    expect(() => stage.parseRegions('eu-west-1,eu-west-1', 'eu-west-1')).toThrow(/listed twice/);
    expect(() => stage.parseRegions('eu-west-1,', 'eu-west-1')).toThrow(/"" is not an AWS region name/);
  });

  it('are read through serverless variables, as osls and Serverless v4 call the resolver', async () => {
    const variables: Record<string, string> = { 'param:regions': 'eu-west-1,us-east-1', 'self:provider.region': 'us-east-1' };
    await expect(stage.regions({ resolveVariable: async (v) => variables[v] })).resolves.toEqual(['eu-west-1', 'us-east-1']);
  });
});

describe('replicas', () => {
  it('one per region, each with point-in-time recovery and deletion protection by condition', () => {
    const replicas = stage.replicaSpecs(['eu-west-1', 'us-east-1'], 'prod');
    expect(replicas.map((r) => r.Region)).toEqual(['eu-west-1', 'us-east-1']);
    for (const r of replicas) {
      expect(r.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(r.DeletionProtectionEnabled).toEqual({ 'Fn::If': ['DeletionProtected', true, false] });
    }
  });
});

describe('deletion protection', () => {
  it('auto: on for stages named like production only', () => {
    for (const name of [
      'prod',
      'production',
      'PROD',
      'prd',
      'live',
      'prod-eu',
      'production_2',
      'eu-prod',
      'test-prod',
      'eu_live',
      'us.prd.2',
      'a-Production-b',
    ]) {
      expect(stage.parseDeletionProtection('auto', name), name).toBe(true);
    }
    for (const name of ['dev', 'staging', 'preprod', 'product', 'eu-preprod', 'productive-eu', 'prods', 'lively', 'deliver']) {
      expect(stage.parseDeletionProtection('auto', name), name).toBe(false);
    }
  });

  it('true and false override the stage name; anything else is refused', () => {
    expect(stage.parseDeletionProtection('true', 'dev')).toBe(true);
    expect(stage.parseDeletionProtection('false', 'prod')).toBe(false);
    expect(() => stage.parseDeletionProtection('yes', 'prod')).toThrow(/auto, true or false/);
  });
});

describe('numbers and CORS', () => {
  it('throttling and cache TTL are integers in range; retention is one CloudWatch Logs allows', () => {
    expect(stage.parseInteger('throttlingBurstLimit', '50', 1, 5000)).toBe(50);
    expect(stage.parseInteger('throttlingRateLimit', 100, 1, 10000)).toBe(100);
    expect(() => stage.parseInteger('throttlingRateLimit', '0', 1, 10000)).toThrow(/from 1 to 10000/);
    expect(() => stage.parseInteger('throttlingBurstLimit', '1.5', 1, 5000)).toThrow(/integer/);
    expect(stage.parseRetention('14')).toBe(14);
    expect(() => stage.parseRetention('10')).toThrow(/must be one of 1, 3, 5/);
  });

  it('CORS is off unless origins are listed; origins are checked', () => {
    expect(stage.parseCors('')).toBe(false);
    expect(stage.parseCors('https://ci.example.com, http://localhost:8080')).toMatchObject({
      allowedOrigins: ['https://ci.example.com', 'http://localhost:8080'],
    });
    expect(stage.parseCors('*')).toMatchObject({ allowedOrigins: ['*'] });
    expect(() => stage.parseCors('ci.example.com')).toThrow(/scheme and host/);
  });
});

describe('stage name', () => {
  const service = 'package-deployment-api';
  const functions = { 'record-deployment': {}, 'query-deployments': {}, site: {} };

  it("up to 23 characters keeps package-deployment-api-<stage>-record-deployment within Lambda's 64", () => {
    expect(stage.checkStage('a'.repeat(23), service, functions)).toBe('a'.repeat(23));
    expect(stage.checkStage('prod-eu-2', service, functions)).toBe('prod-eu-2');
    expect(() => stage.checkStage('a'.repeat(24), service, functions)).toThrow(
      new RegExp(`package-deployment-api-a{24}-record-deployment has 65, .*query-deployments has 65\\. Use a stage name of at most 23 characters`),
    );
  });

  it('a function with its own name is measured by that name', () => {
    expect(stage.checkStage('a'.repeat(30), service, { 'record-deployment': { name: 'short' } })).toBe('a'.repeat(30));
  });

  it('only letters, digits and hyphens', () => {
    for (const name of ['my_stage', 'eu.prod', 'prod eu', 'prod/eu', ''])
      expect(() => stage.checkStage(name, service, functions), name).toThrow(/only letters, digits and hyphens/);
  });

  it('is read through serverless variables', async () => {
    const variables: Record<string, unknown> = { 'sls:stage': 'x'.repeat(40), 'self:service': service, 'self:functions': functions };
    await expect(stage.stage({ resolveVariable: async (v) => variables[v] })).rejects.toThrow(/is too long/);
  });
});
