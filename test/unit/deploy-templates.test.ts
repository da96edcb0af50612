import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkTemplates, packagedRegion, type TemplateReport } from '../../infra/check-templates.ts';
import { packageStage } from '../../infra/package.ts';
import { DEFAULT_ROUTE_FUNCTION, HTTP_FUNCTIONS, ROUTE_IDS, ROUTES, servedPaths } from '../../lib/domain/routes.ts';
import { stageTableNames, tableDefinitions, type TableNames } from '../../infra/tables.ts';
import { resourcesOfType, routeTable, type Json, type Resource, type Template } from '../support/template.ts';
import { planter } from '../support/template.ts';

/**
 * serverless.yml as `npm run package` packages it (osls, offline), for a single-region stage and a three-region
 * stage; both templates pass cfn-lint, cfn-guard with infra/guard and the intrinsics check (infra/checks/spec.ts),
 * and faults planted in copies of them fail those same real checks.
 */
const THREE_REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
const work = mkdtempSync(join(tmpdir(), 'pda-templates-'));
let single: { template: Template; templatePath: string };
let multi: { template: Template; templatePath: string };

beforeAll(async () => {
  const one = await packageStage(['--stage', 'dev', '--region', 'us-east-1', '--package', join(work, 'dev')], { quiet: true, build: true });
  const three = await packageStage(
    ['--stage', 'prod', '--region', THREE_REGIONS[0]!, '--param', `regions=${THREE_REGIONS.join(',')}`, '--package', join(work, 'prod')],
    { quiet: true },
  );
  single = { template: one.template as Template, templatePath: one.templatePath };
  multi = { template: three.template as Template, templatePath: three.templatePath };
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeEach(() => {
  expect.hasAssertions();
});

const check = async (path: string, options: { lint?: boolean } = {}): Promise<TemplateReport> => (await checkTemplates([path], options)).reports[0]!;
/** cfn-lint starts in seconds (more on a loaded machine): the tests that run it get longer. */
const LINT_TIMEOUT = 60_000;

/** A mutated copy of a packaged template, written beside it for the real checks. */
const plant = planter(work);

const statements = (t: Template, role: string) =>
  (t.Resources[role]!.Properties.Policies as Array<{ PolicyDocument: { Statement: Array<Record<string, Json>> } }>)[0]!.PolicyDocument.Statement;

describe('the packaged templates', { timeout: LINT_TIMEOUT }, () => {
  it('single region: passes cfn-lint, cfn-guard (every rule evaluated) and the intrinsics check', async () => {
    const report = await check(single.templatePath);
    expect(report.lint).toEqual([]);
    expect(report.specProblems).toEqual([]);
    expect(report.guardFailures).toEqual([]);
    expect(report.guardRules).toBeGreaterThanOrEqual(8);
    expect(report.resources).toBe(Object.keys(single.template.Resources).length);
  });

  it('three regions: passes every check too (cfn-lint for eu-west-1, the region it is packaged for)', async () => {
    expect(packagedRegion(multi.templatePath)).toBe('eu-west-1');
    expect(packagedRegion(single.templatePath)).toBe('us-east-1');
    const report = await check(multi.templatePath);
    expect(report.lint).toEqual([]);
    expect(report.specProblems).toEqual([]);
    expect(report.guardFailures).toEqual([]);
  });

  it('three regions: the primary (first listed) region creates global tables with a PITR replica in every region', () => {
    expect(multi.template.Conditions?.IsPrimaryRegion).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, THREE_REGIONS[0]] });
    const tables = resourcesOfType(multi.template, 'AWS::DynamoDB::GlobalTable');
    expect(tables).toHaveLength(5);
    for (const [, table] of tables) {
      expect(table.Condition).toBe('IsPrimaryRegion');
      const replicas = table.Properties.Replicas as Array<Record<string, Json>>;
      expect(replicas.map((r) => r.Region)).toEqual(THREE_REGIONS);
      for (const replica of replicas) {
        expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
        expect(replica.DeletionProtectionEnabled).toEqual({ 'Fn::If': ['DeletionProtected', true, false] });
      }
      expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    }
    expect(resourcesOfType(multi.template, 'AWS::DynamoDB::Table')).toEqual([]);
  });

  it('single region: one replica, in the region deployed to', () => {
    for (const [, table] of resourcesOfType(single.template, 'AWS::DynamoDB::GlobalTable')) {
      expect((table.Properties.Replicas as Array<{ Region: string }>).map((r) => r.Region)).toEqual(['us-east-1']);
    }
  });

  it('deletion protection is on for a stage named like production and off otherwise', () => {
    expect(multi.template.Conditions?.DeletionProtected).toEqual({ 'Fn::Equals': ['true', 'true'] });
    expect(single.template.Conditions?.DeletionProtected).toEqual({ 'Fn::Equals': ['false', 'true'] });
  });

  it('the HTTP API throttles with the default parameters, logs access to a retained log group, and has no CORS', () => {
    const [[, stage]] = resourcesOfType(single.template, 'AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 });
    const logGroup = (stage.Properties.AccessLogSettings as { DestinationArn: { 'Fn::GetAtt': [string, string] } }).DestinationArn['Fn::GetAtt'][0];
    expect(single.template.Resources[logGroup]!.Properties.RetentionInDays).toBe(30);
    const [[, api]] = resourcesOfType(single.template, 'AWS::ApiGatewayV2::Api') as [[string, Resource]];
    expect(api.Properties.ProtocolType).toBe('HTTP');
    expect(api.Properties.CorsConfiguration).toBeUndefined();
  });

  it('functions: Node.js 24 on arm64, the zipped bundle with handler index.handler, source maps on', () => {
    const functions = resourcesOfType(single.template, 'AWS::Lambda::Function');
    // The routes' functions, and the event dispatcher (no route: fed by the deployments table's stream).
    expect(functions).toHaveLength(HTTP_FUNCTIONS.length + 1);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect((fn.Properties.Code as { S3Key: string }).S3Key).toMatch(/\.zip$/);
      const variables = (fn.Properties.Environment as { Variables: Record<string, Json> }).Variables;
      expect(variables.NODE_OPTIONS).toBeUndefined();
      expect(variables.NODE_COMPILE_CACHE).toBe('/var/task/compile-cache');
      expect(variables.NODE_COMPILE_CACHE_PORTABLE).toBe('1');
    }
  });
});

describe('routes', () => {
  it("are exactly lib/domain/routes.ts's paths (with their trailing-slash twins) as ANY routes to the named function, and $default to the site", () => {
    const expected = [
      ...ROUTE_IDS.flatMap((id) => servedPaths(ROUTES[id]).map((path) => ({ method: 'ANY', path, function: ROUTES[id].function }))),
      { method: '$default', path: '', function: DEFAULT_ROUTE_FUNCTION },
    ];
    const sort = (rows: Array<{ method: string; path: string }>) => [...rows].sort((a, b) => `${a.method} ${a.path}`.localeCompare(`${b.method} ${b.path}`));
    expect(sort(routeTable(single.template, 'dev'))).toEqual(sort(expected));
    expect(sort(routeTable(multi.template, 'prod'))).toEqual(sort(expected));
  });

  it("each HTTP function's description lists its routes' methods and paths", () => {
    for (const [, fn] of resourcesOfType(single.template, 'AWS::Lambda::Function')) {
      const name = String(fn.Properties.FunctionName).slice('package-deployment-api-dev-'.length);
      const ids = ROUTE_IDS.filter((id) => ROUTES[id].function === name);
      for (const id of ids) expect(String(fn.Properties.Description)).toContain(`${ROUTES[id].methods.join(',')} ${ROUTES[id].path}`);
    }
  });
});

describe('tables', () => {
  /**
   * The table names the functions are given: literal names (no CloudFormation function, so that serverless-offline
   * can run serverless.yml as it is), with the logical id of the table of that name; every function waits for them.
   */
  const envTables = (t: Template) => {
    const functions = resourcesOfType(t, 'AWS::Lambda::Function');
    const [[, fn]] = functions as [[string, Resource]];
    const variables = (f: Resource) => (f.Properties.Environment as { Variables: Record<string, Json> }).Variables;
    const tablesOf = (f: Resource) => Object.fromEntries(Object.entries(variables(f)).filter(([k]) => k.endsWith('_TABLE')));
    const vars = variables(fn);
    for (const [id, f] of functions) {
      // The API functions share one environment; the event dispatcher adds its bus and queue to the same tables.
      if (id.startsWith('DispatchDashevents')) expect(tablesOf(f)).toEqual(tablesOf(fn));
      else expect(variables(f)).toEqual(vars);
      expect(f.DependsOn).toContain('TablesReady');
    }
    const entry = (name: string) => {
      const value = vars[name];
      expect(typeof value, `${name} is a literal table name`).toBe('string');
      const [logicalId] = resourcesOfType(t, 'AWS::DynamoDB::GlobalTable').find(([, r]) => r.Properties.TableName === value) ?? [];
      return { logicalId, name: value as string };
    };
    return {
      deployments: entry('DEPLOYMENTS_TABLE'),
      feeds: entry('FEEDS_TABLE'),
      apiKeys: entry('API_KEYS_TABLE'),
      idempotency: entry('IDEMPOTENCY_TABLE'),
      webhooks: entry('WEBHOOKS_TABLE'),
    };
  };

  it('the functions wait for the five tables where the stack creates them (TablesReady)', () => {
    for (const t of [single.template, multi.template]) {
      const ready = t.Resources.TablesReady as Resource & { Metadata?: Json };
      expect(ready.Type).toBe('AWS::CloudFormation::WaitConditionHandle');
      expect(ready.Metadata).toEqual({
        Tables: {
          'Fn::If': [
            'IsPrimaryRegion',
            ['DeploymentsTable', 'FeedsTable', 'ApiKeysTable', 'IdempotencyTable', 'WebhooksTable'].map((Ref) => ({ Ref })),
            { Ref: 'AWS::NoValue' },
          ],
        },
      });
    }
  });

  const keyed = <T extends { AttributeName?: string; IndexName?: string }>(items: T[] | undefined) =>
    [...(items ?? [])].sort((a, b) => (a.AttributeName ?? a.IndexName ?? '').localeCompare(b.AttributeName ?? b.IndexName ?? ''));

  for (const [label, stage, stageName] of [
    ['single region', () => single, 'dev'],
    ['three regions', () => multi, 'prod'],
  ] as const) {
    it(`${label}: tables are named as stageTableNames (and npm run stage-env) name them`, () => {
      const env = envTables(stage().template);
      expect(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.name]))).toEqual(stageTableNames(stageName));
    });

    it(`${label}: the same keys, attributes and indexes as infra/tables.ts, on-demand, and the names the functions use`, () => {
      const t = stage().template;
      const env = envTables(t);
      const names = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.name])) as TableNames;
      const definitions = tableDefinitions(names);
      expect(definitions).toHaveLength(5);
      for (const def of definitions) {
        const [logicalId, table] = resourcesOfType(t, 'AWS::DynamoDB::GlobalTable').find(([, r]) => r.Properties.TableName === def.TableName) ?? [];
        expect(table, `a global table named ${def.TableName}`).toBeDefined();
        expect(Object.values(env).find((e) => e.name === def.TableName)?.logicalId).toBe(logicalId);
        const p = table!.Properties as Record<string, unknown>;
        expect(p.BillingMode).toBe(def.BillingMode);
        expect(keyed(p.AttributeDefinitions as never)).toEqual(keyed(def.AttributeDefinitions as never));
        expect(p.KeySchema).toEqual(def.KeySchema);
        expect(keyed(p.GlobalSecondaryIndexes as never)).toEqual(keyed(def.GlobalSecondaryIndexes as never));
      }
    });
  }

  it('records in the idempotency and deployments tables expire through TTL on expiresAt (claims; a feed retention); no other table expires records', () => {
    const env = envTables(single.template);
    for (const [, table] of resourcesOfType(single.template, 'AWS::DynamoDB::GlobalTable')) {
      if (table.Properties.TableName === env.idempotency.name || table.Properties.TableName === env.deployments.name) {
        expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
      } else {
        expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
      }
    }
  });
});

describe('planted faults fail the real checks', { timeout: LINT_TIMEOUT }, () => {
  const guardFails = async (path: string, rule: string, message: RegExp) => {
    const report = await check(path, { lint: false });
    const failure = report.guardFailures.find((f) => f.rule === rule);
    expect(failure, `cfn-guard rule ${rule} fails`).toBeDefined();
    expect(failure!.messages.join('\n')).toMatch(message);
  };
  const lintFails = async (path: string, rule: string, where: string, message: RegExp) => {
    const report = await check(path);
    expect(report.lint).toContainEqual(expect.objectContaining({ rule, path: where, message: expect.stringMatching(message) }));
  };

  it('a global table replica without point-in-time recovery', async () => {
    const path = plant(multi.template, (t) => {
      const replicas = t.Resources.FeedsTable!.Properties.Replicas as Array<Record<string, Json>>;
      delete replicas[2]!.PointInTimeRecoverySpecification;
    });
    await guardFails(path, 'dynamodb_global_table_pitr', /replica without point-in-time recovery/);
  });

  it('a plain table without point-in-time recovery', async () => {
    const path = plant(single.template, (t) => {
      t.Resources.ExtraTable = {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        },
      };
    });
    await guardFails(path, 'dynamodb_table_pitr', /table without point-in-time recovery/);
    expect((await check(path)).lint).toEqual([]);
  });

  it('a `*` resource in a function role', async () => {
    const path = plant(single.template, (t) => {
      statements(t, 'QueryDeploymentsRole')[1]!.Resource = '*';
    });
    await guardFails(path, 'iam_statements_are_scoped', /allows every resource/);
  });

  it('a `*` among other resources, or as an Fn::Sub', async () => {
    const list = plant(single.template, (t) => {
      (statements(t, 'RecordDeploymentRole')[2]!.Resource as Json[]).push('*');
    });
    await guardFails(list, 'iam_statements_are_scoped', /allows every resource/);
    const sub = plant(single.template, (t) => {
      statements(t, 'SiteRole')[0]!.Resource = { 'Fn::Sub': '*' };
    });
    await guardFails(sub, 'iam_statements_are_scoped', /allows every resource/);
  });

  describe('an ARN with a whole wildcard segment, as a string, an Fn::Sub or in an Fn::Join', () => {
    const ENDS = /ends in a wildcard segment/;
    const HAS = /has a wildcard segment/;
    const account = { Ref: 'AWS::AccountId' };
    const faults: Array<[string, Json, RegExp]> = [
      ['every DynamoDB resource anywhere', 'arn:aws:dynamodb:*:*:*', HAS],
      ['every table of an account', 'arn:aws:dynamodb:us-east-1:123456789012:table/*', ENDS],
      ['any region, as an Fn::Sub', { 'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/package-deployment-api-dev-feeds' }, HAS],
      ['every table, as an Fn::Sub', { 'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*' }, ENDS],
      [
        "every table's indexes, as an Fn::Sub with variables",
        { 'Fn::Sub': ['arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*/index/${I}', { I: 'x' }] },
        HAS,
      ],
      ['every log group', { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*' }, ENDS],
      [
        'every table, as an Fn::Join',
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', account, ':table/*']] },
        ENDS,
      ],
      [
        'any region, as an Fn::Join element',
        { 'Fn::Join': [':', ['arn', 'aws', 'dynamodb', '*', account, 'table/package-deployment-api-dev-feeds']] },
        /a \* element of an Fn::Join/,
      ],
    ];
    for (const [label, resource, message] of faults) {
      it(label, async () => {
        const path = plant(single.template, (t) => {
          (statements(t, 'QueryDeploymentsRole')[3]!.Resource as Json[]).push(resource);
        });
        await guardFails(path, 'iam_statements_are_scoped', message);
      });
    }

    it("but a table's indexes and a log group's streams pass, however written", async () => {
      const path = plant(single.template, (t) => {
        (statements(t, 'QueryDeploymentsRole')[3]!.Resource as Json[]).push(
          'arn:aws:dynamodb:us-east-1:123456789012:table/package-deployment-api-dev-deployments/index/*',
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', account, ':table/package-deployment-api-dev-deployments/index/*'],
            ],
          },
          {
            'Fn::Sub': ['arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${T}/stream/*', { T: 'package-deployment-api-dev-deployments' }],
          },
        );
        statements(t, 'SiteRole')[0]!.Resource = {
          'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/package-deployment-api-dev-site:*',
        };
      });
      expect((await check(path, { lint: false })).guardFailures).toEqual([]);
    });
  });

  it('a managed policy on a function role', async () => {
    const path = plant(single.template, (t) => {
      t.Resources.SiteRole!.Properties.ManagedPolicyArns = ['arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess'];
    });
    await guardFails(path, 'function_roles_have_no_managed_policies', /function role with ManagedPolicyArns/);
  });

  it('a wildcard action', async () => {
    const path = plant(single.template, (t) => {
      statements(t, 'RecordDeploymentRole')[2]!.Action = 'dynamodb:*';
    });
    await guardFails(path, 'iam_statements_are_scoped', /wildcard action/);
  });

  it('a function without log retention', async () => {
    const path = plant(single.template, (t) => {
      delete t.Resources.SiteLogGroup!.Properties.RetentionInDays;
    });
    await guardFails(path, 'lambda_functions_log_to_a_retained_group', /log group has no retention/);
    await guardFails(path, 'log_groups_have_retention', /log group without a retention/);
  });

  it('a function that does not name its log group', async () => {
    const path = plant(single.template, (t) => {
      delete t.Resources.RecordDashdeploymentLambdaFunction!.Properties.LoggingConfig;
    });
    await guardFails(path, 'lambda_functions_log_to_a_retained_group', /does not name its log group/);
  });

  it('an API stage without throttling or without access logs', async () => {
    const noThrottle = plant(single.template, (t) => {
      delete t.Resources.HttpApiStage!.Properties.DefaultRouteSettings;
    });
    await guardFails(noThrottle, 'http_api_throttling', /without throttling/);
    const noLogs = plant(single.template, (t) => {
      delete t.Resources.HttpApiStage!.Properties.AccessLogSettings;
    });
    await guardFails(noLogs, 'http_api_access_logs', /without access logs/);
  });

  it('a misspelt property, at the top of a resource and deep inside one', async () => {
    const top = plant(single.template, (t) => {
      const p = t.Resources.DeploymentsTable!.Properties;
      p.BilingMode = p.BillingMode!;
      delete p.BillingMode;
    });
    await lintFails(top, 'E3002', 'Resources/DeploymentsTable/Properties/BilingMode', /'BilingMode' was unexpected/);
    const deep = plant(multi.template, (t) => {
      (t.Resources.ApiKeysTable!.Properties.Replicas as Array<Record<string, Json>>)[1]!.PointInTimeRecoverySpecification = {
        PointInTimeRecoveryEnable: true,
      };
    });
    await lintFails(deep, 'E3002', 'Resources/ApiKeysTable/Properties/Replicas/1/PointInTimeRecoverySpecification/PointInTimeRecoveryEnable', /was unexpected/);
  });

  it('a misspelt property inside either branch of an Fn::If', async () => {
    const path = plant(single.template, (t) => {
      t.Resources.FeedsTable!.Properties.SSESpecification = { 'Fn::If': ['DeletionProtected', { SSEEnabld: true }, { SSEEnabled: false }] };
      const replica = (t.Resources.DeploymentsTable!.Properties.Replicas as Array<Record<string, Json>>)[0]!;
      replica.PointInTimeRecoverySpecification = { 'Fn::If': ['IsPrimaryRegion', { PointInTimeRecoveryEnabled: true }, { PointInTimeRecoveryEnable: true }] };
      replica.DeletionProtectionEnabled = { 'Fn::If': ['NoSuchCondition', true, false] };
    });
    const report = await check(path);
    expect(report.lint!.map(({ rule, path }) => ({ rule, path }))).toEqual(
      expect.arrayContaining([
        { rule: 'E3002', path: 'Resources/FeedsTable/Properties/SSESpecification/Fn::If/1/SSEEnabld' },
        { rule: 'E3003', path: 'Resources/FeedsTable/Properties/SSESpecification/Fn::If/1' },
        { rule: 'E3002', path: 'Resources/DeploymentsTable/Properties/Replicas/0/PointInTimeRecoverySpecification/Fn::If/2/PointInTimeRecoveryEnable' },
        { rule: 'E1028', path: 'Resources/DeploymentsTable/Properties/Replicas/0/DeletionProtectionEnabled/Fn::If/0' },
      ]),
    );
  });

  it('a Ref to a missing resource', async () => {
    const path = plant(single.template, (t) => {
      t.Resources.HttpApiRouteAnyApiFeedsSlash!.Properties.ApiId = { Ref: 'HttpApiV2' };
    });
    await lintFails(path, 'E1020', 'Resources/HttpApiRouteAnyApiFeedsSlash/Properties/ApiId/Ref', /'HttpApiV2' is not one of/);
  });

  it('a GetAtt of an attribute the type lacks, and an Fn::Sub of a missing resource', async () => {
    const path = plant(single.template, (t) => {
      statements(t, 'SiteRole')[0]!.Resource = { 'Fn::GetAtt': ['SiteLogGroup', 'LogGroupName'] };
      statements(t, 'QueryDeploymentsRole')[2]!.Resource = { 'Fn::Sub': '${FeedTable.Arn}' };
    });
    const report = await check(path);
    expect(report.lint).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'E1010', message: expect.stringMatching(/'LogGroupName' is not one of/) }),
        expect.objectContaining({ rule: 'E1019', message: expect.stringMatching(/'FeedTable' is not one of/) }),
      ]),
    );
  });

  it('a missing required property, an unknown resource type', async () => {
    const path = plant(single.template, (t) => {
      delete t.Resources.HttpApiIntegrationSite!.Properties.IntegrationType;
      t.Resources.SiteLogGroup!.Type = 'AWS::Logs::LogGrop';
    });
    const report = await check(path);
    expect(report.lint).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'E3003', path: 'Resources/HttpApiIntegrationSite/Properties', message: "'IntegrationType' is a required property" }),
        expect.objectContaining({
          rule: 'E3006',
          path: 'Resources/SiteLogGroup/Type',
          message: expect.stringMatching(/'AWS::Logs::LogGrop' does not exist/),
        }),
      ]),
    );
  });

  it('a reference to a primary-region table from where the table may not exist', async () => {
    const path = plant(multi.template, (t) => {
      const vars = (t.Resources.SiteLambdaFunction!.Properties.Environment as { Variables: Record<string, Json> }).Variables;
      vars.DEPLOYMENTS_TABLE = { Ref: 'DeploymentsTable' };
    });
    await lintFails(
      path,
      'W1001',
      'Resources/SiteLambdaFunction/Properties/Environment/Variables/DEPLOYMENTS_TABLE',
      /when condition 'IsPrimaryRegion' is False/,
    );
  });

  it('an unknown intrinsic function where cfn-lint takes any value (the intrinsics check)', async () => {
    const path = plant(single.template, (t) => {
      const vars = (t.Resources.SiteLambdaFunction!.Properties.Environment as { Variables: Record<string, Json> }).Variables;
      vars.LOG_GROUP = { 'Fn::GetAttr': ['SiteLogGroup', 'Arn'] };
    });
    const report = await check(path);
    expect(report.specProblems).toEqual([
      { path: 'Resources.SiteLambdaFunction.Properties.Environment.Variables.LOG_GROUP.Fn::GetAttr', message: 'unknown intrinsic function Fn::GetAttr' },
    ]);
  });

  it("a finding ignored in a resource's Metadata is ignored there only", async () => {
    // The stream mapping's Metadata ignores E3031/E3033 (its '' branch); the same mapping without that Metadata fails.
    const path = plant(single.template, (t) => {
      const copy: Resource & { Metadata?: Json } = structuredClone(t.Resources.DispatchEventsStreamMapping!);
      expect(copy.Metadata).toBeDefined();
      delete copy.Metadata;
      t.Resources.UnannotatedStreamMapping = copy;
    });
    const report = await check(path);
    expect(new Set(report.lint!.map((f) => `${f.rule} ${f.path}`))).toEqual(
      new Set([
        'E3031 Resources/UnannotatedStreamMapping/Properties/EventSourceArn/Fn::If/2',
        'E3033 Resources/UnannotatedStreamMapping/Properties/EventSourceArn/Fn::If/2',
      ]),
    );
  });
});

describe('stage parameters', () => {
  it('packaging refuses a stack in a region the regions parameter does not list', async () => {
    await expect(
      packageStage(['--stage', 'prod', '--region', 'sa-east-1', '--param', 'regions=eu-west-1,us-east-1', '--package', join(work, 'bad')], { quiet: true }),
    ).rejects.toThrow(/sa-east-1, which is not listed/);
  }, 60_000);

  it('packaging refuses a stage name that makes a function name longer than Lambda allows', async () => {
    const stageName = 'a-stage-name-of-24-chars';
    expect(stageName).toHaveLength(24);
    await expect(packageStage(['--stage', stageName, '--region', 'us-east-1', '--package', join(work, 'long')], { quiet: true })).rejects.toThrow(
      /package-deployment-api-a-stage-name-of-24-chars-record-deployment has 65.*at most 23 characters/,
    );
  }, 60_000);
});
