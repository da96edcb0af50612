import { spawn, type ChildProcess } from 'node:child_process';
import { root } from '../../infra/paths.ts';

export type Child = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

/**
 * Starts a node script of this repository on the Node that runs the tests; resolves once its output matches `ready`
 * (with the match), keeping everything it prints (stdout and stderr) for the caller.
 */
export const startNode = (args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}, timeoutMs = 90_000): Promise<Child & { match: RegExpExecArray }> => {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${args.join(' ')} did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: string) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        done({ child, output: () => output, exited, match });
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
};

/** Stops a child (SIGTERM, or SIGKILL to die at once) and waits for it to be gone. */
export const stop = async (c: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.child.kill(signal);
  await c.exited;
};

/** What `npm start` prints once it serves: the DynamoDB endpoint, then the API's URL. */
const SERVING = /DynamoDB \(\S+\) at (http:\/\/\S+?),[\s\S]*listening on (http:\/\/\S+?)\/api\/package-deployment\//;

/**
 * `npm start`'s entry point on free ports with an in-memory DynamoDB (more settings in `env`), resolved once it serves,
 * with the base URL of the API and the endpoint of its DynamoDB (for the admin CLI or a direct client).
 */
export const startLocalService = async (env: NodeJS.ProcessEnv = {}): Promise<Child & { baseUrl: string; dynamoEndpoint: string }> => {
  // AWS_ENDPOINT_URL_DYNAMODB empty: its own engine, even if the caller's environment points at another one.
  const started = await startNode(['infra/local/start.ts'], SERVING, { PORT: '0', DYNAMODB_PORT: '0', DATA_DIR: '', AWS_ENDPOINT_URL_DYNAMODB: '', ...env });
  return { ...started, dynamoEndpoint: started.match[1]!, baseUrl: started.match[2]! };
};
