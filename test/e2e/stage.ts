import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { root } from '../../infra/paths.ts';

/**
 * Against a deployed stage (E2E_BASE_URL): the suite's feeds and keys are made with the admin CLI against the stage's
 * own tables (AWS, with your credentials, unless AWS_ENDPOINT_URL_DYNAMODB names another DynamoDB). Before any test,
 * `preflight` checks that the stage answers and the admin CLI reaches its tables; every feed and key the suite adds
 * is written to a ledger and removed or revoked after the run (`cleanUp`). Deployment records stay, as in ProGet.
 */
const exec = promisify(execFile);

export const runAdmin = async (adminEndpoint: string, args: string[]): Promise<string[]> => {
  const { stdout } = await exec(process.execPath, ['infra/admin.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...(adminEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: adminEndpoint } : {}) },
  });
  return stdout.trimEnd().split('\n');
};

/** Notes what an admin command created, for cleanUp. */
export const record = (ledger: string, args: string[], output: string[]): void => {
  if (!ledger) return;
  if (args[0] === 'feeds' && args[1] === 'add' && args[2]) appendFileSync(ledger, `feed\t${args[2]}\n`);
  if (args[0] === 'keys' && args[1] === 'add') {
    const id = /^Added key (\S+)/.exec(output[0] ?? '')?.[1];
    if (id) appendFileSync(ledger, `key\t${id}\n`);
  }
};

export const preflight = async (baseUrl: string, adminEndpoint: string): Promise<void> => {
  const res = await fetch(`${baseUrl}/api/openapi.json`).catch((e: unknown) => {
    throw new Error(`E2E_BASE_URL=${baseUrl} does not answer: ${(e as Error).message}`);
  });
  if (res.status !== 200) throw new Error(`E2E_BASE_URL=${baseUrl}: GET /api/openapi.json answered ${res.status}; is it the stage's API URL?`);
  if (!adminEndpoint && (!process.env.FEEDS_TABLE || !process.env.API_KEYS_TABLE)) {
    throw new Error(
      "The end-to-end suite adds feeds and keys with the admin CLI, here against the stage's tables in AWS: set their names first, " +
        'e.g. eval "$(npm run -s stage-env -- --stage STAGE --region REGION)"',
    );
  }
  let feeds: string[];
  try {
    feeds = await runAdmin(adminEndpoint, ['feeds', 'list']);
  } catch (e) {
    throw new Error(`The admin CLI cannot read the stage's feeds (credentials, region, table names?): ${(e as Error).message}`, { cause: e });
  }
  if (!feeds.some((line) => /^DefaultNuGet\s.*Feeds_DownloadPackage/i.test(line))) {
    throw new Error(
      "The seed's examples record to DefaultNuGet as anonymous users; add that feed to the stage first: npm run -s admin -- feeds add DefaultNuGet --anonymous",
    );
  }
};

export const cleanUp = async (ledger: string, adminEndpoint: string): Promise<string[]> => {
  if (!existsSync(ledger)) return [];
  const done: string[] = [];
  for (const line of readFileSync(ledger, 'utf8').split('\n').filter(Boolean).reverse()) {
    const [kind, value] = line.split('\t') as [string, string];
    await runAdmin(adminEndpoint, kind === 'key' ? ['keys', 'revoke', value] : ['feeds', 'remove', value]);
    done.push(line);
  }
  return done;
};
