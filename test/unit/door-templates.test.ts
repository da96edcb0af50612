import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkTemplates } from '../../infra/check-templates.ts';
import { packageStage } from '../../infra/package.ts';
import { HTTP_FUNCTIONS, ROUTE_IDS, ROUTES } from '../../lib/domain/routes.ts';
import { resourcesOfType, targetOf, functionKey, type Json, type Resource, type Template } from '../support/template.ts';
import { planter } from '../support/template.ts';

/**
 * The other front doors (the `door` parameter): each packages offline, passes cfn-guard (every rule evaluated) and the
 * cfn-lint and intrinsics checks, has the routes of lib/domain/routes.ts, and planted faults fail the rules written for its types.
 */
const WEB_ACL = 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/pda/0123abcd-0123-4567-89ab-0123456789ab';
const VPCE = 'vpce-0123456789abcdef0';
const work = mkdtempSync(join(tmpdir(), 'pda-doors-'));
let rest: Template;
let restPublic: Template;
let url: Template;
let restPath: string;
let restPublicPath: string;
let urlPath: string;

beforeAll(async () => {
  const a = await packageStage(
    [
      '--stage',
      'prod',
      '--region',
      'us-east-1',
      '--param',
      'door=restApi',
      '--param',
      `wafWebAclArn=${WEB_ACL}`,
      '--param',
      `privateVpcEndpointIds=${VPCE}`,
      '--package',
      join(work, 'rest'),
    ],
    { quiet: true, build: true },
  );
  const b = await packageStage(['--stage', 'dev', '--region', 'us-east-1', '--param', 'door=restApi', '--package', join(work, 'rest-public')], { quiet: true });
  const c = await packageStage(
    ['--stage', 'dev', '--region', 'us-east-1', '--param', 'door=functionUrl', '--param', 'reservedConcurrency=7', '--package', join(work, 'url')],
    { quiet: true },
  );
  [rest, restPublic, url] = [a, b, c].map((r) => r.template as Template) as [Template, Template, Template];
  [restPath, restPublicPath, urlPath] = [a, b, c].map((r) => r.templatePath) as [string, string, string];
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(() => {
  expect.hasAssertions();
});

const plant = planter(work);
const guardFails = async (path: string, rule: string) => {
  const [report] = (await checkTemplates([path], { lint: false })).reports;
  expect(report!.guardFailures.map((f) => f.rule)).toContain(rule);
};

describe('every door passes the template checks', () => {
  it.each([
    ['REST API, private, with WAF', () => restPath],
    ['REST API, regional', () => restPublicPath],
    ['function URLs', () => urlPath],
  ])(
    '%s',
    async (_, path) => {
      const [report] = (await checkTemplates([path()])).reports;
      expect(report!.lint).toEqual([]);
      expect(report!.specProblems).toEqual([]);
      expect(report!.guardFailures).toEqual([]);
      expect(report!.guardRules).toBeGreaterThanOrEqual(20);
    },
    60_000,
  );

  it('no door has a CloudFormation function in a function environment (serverless-offline runs serverless.yml as it is)', () => {
    for (const t of [rest, restPublic, url]) {
      for (const [, fn] of resourcesOfType(t, 'AWS::Lambda::Function')) {
        for (const value of Object.values((fn.Properties.Environment as { Variables: Record<string, Json> }).Variables)) expect(typeof value).toBe('string');
      }
    }
  });
});

describe('REST API', () => {
  it('has the routes of lib/domain/routes.ts (one resource for a path with and without its slash), ANY Lambda proxies', () => {
    const resources = Object.fromEntries(resourcesOfType(rest, 'AWS::ApiGateway::Resource').map(([id, r]) => [id, r]));
    const pathOf = (ref: Json): string => {
      if (typeof ref === 'object' && ref && !Array.isArray(ref) && 'Fn::GetAtt' in ref) return '';
      const r = resources[targetOf(ref)]!;
      return `${pathOf(r.Properties.ParentId!)}/${String(r.Properties.PathPart)}`;
    };
    const routes = resourcesOfType(rest, 'AWS::ApiGateway::Method').map(([, m]) => {
      const uri = m.Properties.Integration as { Type: string; Uri: { 'Fn::Join': [string, Json[]] } };
      expect([m.Properties.HttpMethod, uri.Type, m.Properties.AuthorizationType]).toEqual(['ANY', 'AWS_PROXY', 'NONE']);
      const fnRef = uri.Uri['Fn::Join'][1].find((p) => typeof p === 'object' && p !== null && 'Fn::GetAtt' in (p as object));
      return `${functionKey(rest, targetOf(fnRef), 'prod')} ${pathOf(m.Properties.ResourceId!) || '/'}`;
    });
    const expected = ROUTE_IDS.map((id) => `${ROUTES[id].function} ${ROUTES[id].path}`);
    expect(routes.sort()).toEqual(expected.sort());
  });

  it('answers a path no resource matches with a problem+json 404, in the deployment (which waits for it)', () => {
    for (const t of [rest, restPublic]) {
      const [[id, response]] = resourcesOfType(t, 'AWS::ApiGateway::GatewayResponse') as [[string, Resource]];
      expect(response.Properties).toMatchObject({ RestApiId: { Ref: 'ApiGatewayRestApi' }, ResponseType: 'MISSING_AUTHENTICATION_TOKEN', StatusCode: '404' });
      expect((response.Properties.ResponseParameters as Record<string, string>)['gatewayresponse.header.Content-Type']).toBe(
        "'application/problem+json; charset=utf-8'",
      );
      const body = JSON.parse((response.Properties.ResponseTemplates as Record<string, string>)['application/json']!) as Record<string, unknown>;
      expect(body).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
      const [[, deployment]] = resourcesOfType(t, 'AWS::ApiGateway::Deployment') as [[string, Resource]];
      expect([deployment.DependsOn].flat()).toContain(id);
    }
  });

  it('its stage is the template’s own, on osls’s deployment, with an access log to a retained group and throttling', () => {
    const [[deploymentId, deployment]] = resourcesOfType(rest, 'AWS::ApiGateway::Deployment') as [[string, Resource]];
    expect(deployment.Properties.StageName).toBeUndefined();
    const stage = rest.Resources.ApiGatewayStage!;
    expect(stage.Properties).toMatchObject({ StageName: 'prod', DeploymentId: { Ref: deploymentId }, RestApiId: { Ref: 'ApiGatewayRestApi' } });
    expect(stage.Properties.AccessLogSetting).toMatchObject({ DestinationArn: { 'Fn::GetAtt': ['RestApiAccessLogGroup', 'Arn'] } });
    expect(rest.Resources.RestApiAccessLogGroup!.Properties.RetentionInDays).toBe(30);
    expect(stage.Properties.MethodSettings).toEqual([
      expect.objectContaining({ ResourcePath: '/*', HttpMethod: '*', ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 }),
    ]);
  });

  it('private: only through the listed VPC endpoint; WAF: the web ACL on the stage; regional and public otherwise', () => {
    const api = rest.Resources.ApiGatewayRestApi!.Properties;
    expect(api.EndpointConfiguration).toEqual({ Types: ['PRIVATE'], VpcEndpointIds: [VPCE] });
    expect(JSON.stringify(api.Policy)).toContain(`"aws:SourceVpce":["${VPCE}"]`);
    expect(api.BinaryMediaTypes).toEqual(['application/x-www-form-urlencoded', 'multipart/form-data', 'application/octet-stream']);
    expect(rest.Resources.WebAclAssociation!.Properties.WebACLArn).toBe(WEB_ACL);
    expect(restPublic.Resources.ApiGatewayRestApi!.Properties.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
    expect(restPublic.Resources.WebAclAssociation).toBeUndefined();
  });

  it('planted faults fail: a deployment that makes its own stage, a stage without throttling or access log, a private API without its policy', async () => {
    await guardFails(
      plant(rest, (t) => {
        for (const [, d] of resourcesOfType(t, 'AWS::ApiGateway::Deployment')) d.Properties.StageName = 'prod';
      }),
      'rest_api_deployments_make_no_stage',
    );
    await guardFails(
      plant(rest, (t) => {
        t.Resources.ApiGatewayStage!.Properties.MethodSettings = [{ ResourcePath: '/*', HttpMethod: '*', MetricsEnabled: true }];
      }),
      'rest_api_throttling',
    );
    await guardFails(
      plant(rest, (t) => {
        delete t.Resources.ApiGatewayStage!.Properties.AccessLogSetting;
      }),
      'rest_api_access_logs',
    );
    await guardFails(
      plant(rest, (t) => {
        t.Resources.ApiGatewayRestApi!.Properties.Policy = '';
      }),
      'private_rest_api_has_a_source_vpce_policy',
    );
    await guardFails(
      plant(rest, (t) => {
        t.Resources.WebAclAssociation!.Properties.WebACLArn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/pda/x';
      }),
      'waf_associations_name_a_regional_web_acl_and_a_rest_stage',
    );
    await guardFails(
      plant(rest, (t) => {
        delete t.Resources.RecordDashdeploymentLambdaPermissionApiGateway!.Properties.SourceArn;
      }),
      'lambda_permissions_are_scoped',
    );
  });
});

describe('function URLs', () => {
  it('one per function, AuthType NONE, each function bounded by its reserved concurrency; no API', () => {
    const urls = resourcesOfType(url, 'AWS::Lambda::Url');
    expect(urls.map(([, u]) => functionKey(url, targetOf(u.Properties.TargetFunctionArn), 'dev')).sort()).toEqual([...HTTP_FUNCTIONS].sort());
    for (const [, u] of urls) expect(u.Properties.AuthType).toBe('NONE');
    // The functions behind the URLs; the event dispatcher has no URL (its stream's event source mapping bounds it).
    for (const [id, fn] of resourcesOfType(url, 'AWS::Lambda::Function')) {
      expect(fn.Properties.ReservedConcurrentExecutions).toBe(id.startsWith('DispatchDashevents') ? undefined : 7);
    }
    expect([...resourcesOfType(url, 'AWS::ApiGatewayV2::Api'), ...resourcesOfType(url, 'AWS::ApiGateway::RestApi')]).toEqual([]);
  });

  it('planted faults fail: no reserved concurrency, a public permission that is not a function URL’s, no door at all', async () => {
    await guardFails(
      plant(url, (t) => {
        delete t.Resources.SiteLambdaFunction!.Properties.ReservedConcurrentExecutions;
      }),
      'function_urls_are_throttled_by_reserved_concurrency',
    );
    await guardFails(
      plant(url, (t) => {
        const p = t.Resources.SiteLambdaPermissionFnUrl!.Properties;
        delete p.FunctionUrlAuthType;
        p.Action = 'lambda:InvokeFunction';
      }),
      'lambda_permissions_are_scoped',
    );
    await guardFails(
      plant(url, (t) => {
        for (const [id] of resourcesOfType(t, 'AWS::Lambda::Url')) delete t.Resources[id];
      }),
      'front_door_declared',
    );
  });
});

describe('door parameters', () => {
  it.each([
    [['--param', 'door=alb'], /door: "alb" must be one of httpApi, restApi, functionUrl/],
    [['--param', `wafWebAclArn=${WEB_ACL}`], /WAF can be associated only with door=restApi/],
    [['--param', 'door=restApi', '--param', 'wafWebAclArn=arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/y'], /not the ARN of a REGIONAL WAFv2 web ACL/],
    [['--param', 'door=restApi', '--param', 'privateVpcEndpointIds=vpc-123'], /is not a VPC endpoint id/],
    [['--param', 'door=functionUrl', '--param', 'reservedConcurrency=-1'], /reservedConcurrency: "-1" must be an integer/],
    [['--param', 'door=restApi', '--param', 'corsOrigins=https://ci.example.com'], /CORS is set on the HTTP API only/],
  ])('packaging refuses %j', async (params, message) => {
    await expect(
      packageStage(['--stage', 'dev', '--region', 'us-east-1', ...params, '--package', join(work, `bad-${params.join('-').replace(/[^\w-]/g, '_')}`)], {
        quiet: true,
      }),
    ).rejects.toThrow(message);
  });
});
