import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build, bundlePath, CHUNKS_DIR, COMPILE_CACHE_DIR, compileCachePath } from './build.ts';
import { oslsOptions } from './osls-args.ts';
import { root } from './paths.ts';
import { zip } from './zip.ts';

/**
 * `npm run package [-- osls options]`: builds the bundles, zips each into dist/<function>.zip (the artifacts
 * serverless.yml names) and runs `osls package`, which writes the CloudFormation template and the artifacts to
 * dist/package/<stage>-<region>/ (or --package DIR). Offline: osls needs no AWS credentials to package, and it is
 * given none (any in the environment are removed for it), so packaging can never touch an AWS account.
 *
 *   npm run package
 *   npm run package -- --stage prod --region eu-west-1 --param regions=eu-west-1,us-east-1,ap-southeast-2
 *   npm run package -- --stage dev --region us-east-1 --param door=restApi     # dist/package/dev-us-east-1-restApi
 */
const osls = join(root, 'node_modules', 'osls', 'bin', 'serverless.js');

/** The artifacts serverless.yml names (`artifact: dist/<function>.zip`). */
export const declaredArtifacts = (): string[] =>
  [...readFileSync(join(root, 'serverless.yml'), 'utf8').matchAll(/^\s+artifact:\s*dist\/([\w.-]+)\.zip\s*$/gm)].map((m) => m[1]!);

/** The functions' architecture as serverless.yml declares it, in Node's words (`process.arch`). */
export const functionArch = (): string => {
  const declared = /^\s+architecture:\s*(\S+)\s*$/m.exec(readFileSync(join(root, 'serverless.yml'), 'utf8'))?.[1] ?? 'x86_64';
  return declared === 'x86_64' ? 'x64' : declared;
};

/** One line on whether the artifacts carry a compile cache, and for which Node. */
export const compileCacheNote = (): string =>
  process.arch === functionArch()
    ? `Compile cache: included, made by Node ${process.version} on ${process.arch}; Lambda uses it only if its runtime runs that same version.`
    : `Compile cache: left out (this machine is ${process.arch}, the functions ${functionArch()}; package on ${functionArch()} to include it).`;

/**
 * Zips dist/<name>/index.mjs, the chunks it loads lazily (chunks/), their source maps (read only when an error is
 * logged, see lib/http/stack.ts) and, when this
 * machine has the functions' architecture, its compile cache (see writeCompileCache: V8's code cache is made for one
 * architecture and Node version) into dist/<name>.zip, handler `index.handler`.
 */
export const zipBundle = (name: string, options: { compileCache: boolean } = { compileCache: process.arch === functionArch() }): string => {
  const bundle = bundlePath(name);
  const out = join(root, 'dist', `${name}.zip`);
  const cache = compileCachePath(name);
  const cached = (options.compileCache ? readdirSync(cache, { recursive: true, withFileTypes: true }) : [])
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
    .map((file) => ({ name: `${COMPILE_CACHE_DIR}/${relative(cache, file).split(sep).join('/')}`, data: readFileSync(file) }));
  const chunks = join(dirname(bundle), CHUNKS_DIR);
  const lazy = (existsSync(chunks) ? readdirSync(chunks) : [])
    .sort()
    .map((file) => ({ name: `${CHUNKS_DIR}/${file}`, data: readFileSync(join(chunks, file)) }));
  writeFileSync(
    out,
    zip([{ name: 'index.mjs', data: readFileSync(bundle) }, { name: 'index.mjs.map', data: readFileSync(`${bundle}.map`) }, ...lazy, ...cached]),
  );
  return out;
};

const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

/**
 * osls always works in <service>/.serverless before moving the result to --package, so two packagings at once would
 * trample each other: a lock file (holding the owner's pid; a dead owner's lock is taken over) serialises them.
 */
const LOCK = join(root, '.serverless.lock');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};
const withLock = async <T>(fn: () => Promise<T>): Promise<T> => {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner: number;
      try {
        owner = Number(readFileSync(LOCK, 'utf8'));
      } catch {
        continue; // released meanwhile
      }
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) rmSync(LOCK, { force: true });
      else if (Date.now() > deadline) throw new Error(`another packaging holds ${LOCK} (pid ${owner})`, { cause: e });
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { force: true });
  }
};

/**
 * door=restApi: infra/cloudformation/door-restApi.yml declares the REST API's stage (access log, throttling) with
 * `DeploymentId: { Ref: ApiGatewayDeployment }`; osls's deployment has a new logical id at every packaging
 * (ApiGatewayDeployment<instance id>) and creates the stage itself through its StageName. This points the stage at
 * that deployment and takes the stage name off it, so that the stage is the template's own resource; the deployment waits for the gateway
 * responses, so that it has them. Other
 * templates are returned unchanged.
 */
const linkRestApiStage = (template: Record<string, unknown>): Record<string, unknown> => {
  const resources = (template.Resources ?? {}) as Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown }>;
  const stage = resources.ApiGatewayStage;
  if (stage?.Type !== 'AWS::ApiGateway::Stage') return template;
  const deployments = Object.keys(resources).filter((id) => resources[id]!.Type === 'AWS::ApiGateway::Deployment');
  if (deployments.length !== 1) throw new Error(`door=restApi: expected one AWS::ApiGateway::Deployment from osls, found ${deployments.length}`);
  const id = deployments[0]!;
  delete resources[id]!.Properties.StageName;
  stage.Properties.DeploymentId = { Ref: id };
  // A deployment is a snapshot of the API: made after the gateway responses (door-restApi.yml), it carries them.
  const responses = Object.keys(resources).filter((r) => resources[r]!.Type === 'AWS::ApiGateway::GatewayResponse');
  if (responses.length > 0) resources[id]!.DependsOn = [...[resources[id]!.DependsOn ?? []].flat(), ...responses];
  return template;
};

export type PackageResult = { dir: string; templatePath: string; template: Record<string, unknown>; ms: number };

/**
 * Packages one stage. `args` are passed to `osls package` as they are; the output directory defaults to
 * dist/package/<stage>-<region>. With `build`, the bundles are built first (under the same lock, so that no other
 * packaging zips a bundle while it is being written).
 */
export const packageStage = async (args: string[], options: { quiet?: boolean; build?: boolean } = {}): Promise<PackageResult> => {
  const started = performance.now();
  const stated = oslsOptions(args);
  const stage = stated.stage ?? 'dev';
  const region = stated.region ?? 'us-east-1';
  const given = stated.package;
  // Another door than the default packages beside it: dist/package/<stage>-<region>-<door>.
  const door = stated.params
    .map((p) => /^door=(.*)$/.exec(p)?.[1])
    .filter((d) => d !== undefined)
    .at(-1);
  const dir = given ? resolve(root, given) : join(root, 'dist', 'package', `${stage}-${region}${door && door !== 'httpApi' ? `-${door}` : ''}`);
  // Offline by construction: osls's `package` makes no AWS call, and it gets no credentials that one could use.
  const env: NodeJS.ProcessEnv = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
  for (const name of CREDENTIAL_VARIABLES) delete env[name];
  Object.assign(env, {
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const oslsArgs = ['package', ...args, ...(given ? [] : ['--package', relative(root, dir)])];

  let output = '';
  const code = await withLock(async () => {
    if (options.build) await build({ quiet: options.quiet ?? false });
    const missing = declaredArtifacts().filter((name) => !existsSync(bundlePath(name)));
    if (missing.length > 0) {
      throw new Error(
        `serverless.yml packages ${missing.map((n) => `dist/${n}.zip`).join(', ')}, but there is no functions/<name>/handler.ts ` +
          `bundle for ${missing.join(', ')} (npm run build bundles functions/*/handler.ts).`,
      );
    }
    for (const name of declaredArtifacts()) zipBundle(name);
    if (!options.quiet) console.error(compileCacheNote());
    rmSync(dir, { recursive: true, force: true });
    return new Promise<number | null>((done, fail) => {
      const child = spawn(process.execPath, [osls, ...oslsArgs], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const collect = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (!options.quiet) process.stderr.write(chunk);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.on('error', fail);
      child.on('close', done);
    });
  });
  if (code !== 0) throw new Error(`osls ${oslsArgs.join(' ')} exited with ${code}:\n${output}`);
  const templatePath = join(dir, 'cloudformation-template-update-stack.json');
  const template = linkRestApiStage(JSON.parse(readFileSync(templatePath, 'utf8')) as Record<string, unknown>);
  writeFileSync(templatePath, `${JSON.stringify(template, null, 2)}\n`);
  return { dir, templatePath, template, ms: performance.now() - started };
};

if (import.meta.main) {
  try {
    const result = await packageStage(process.argv.slice(2), { build: true });
    const resources = Object.keys((result.template.Resources ?? {}) as object).length;
    console.log(`${relative(root, result.templatePath)}: ${resources} resources (${(result.ms / 1000).toFixed(1)} s)`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
