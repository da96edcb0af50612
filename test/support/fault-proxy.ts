/**
 * A fault-injecting HTTP proxy in front of a real local DynamoDB. The service's own client (lib/store/client.ts: its
 * timeouts, its retry strategy, its error parsing) talks to it over real sockets, so what is tested is what runs on
 * Lambda; only the faults are made up. Each request is forwarded, or answered with one of DynamoDB's own error
 * answers, or its connection is reset, or it is left without an answer, or it is forwarded and its answer lost.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { crc32 } from 'node:zlib';

export type Fault =
  | 'forward'
  /** 400 ProvisionedThroughputExceededException (the SDK retries it as throttling). */
  | 'throughput'
  /** 400 ThrottlingException. */
  | 'throttling'
  /** 500 InternalServerError. */
  | 'internal'
  /** 503 ServiceUnavailable. */
  | 'unavailable'
  /** The connection is reset before the request reaches the engine (ECONNRESET). */
  | 'reset'
  /** No answer at all: the client's request timeout must fire. */
  | 'hang'
  /** Forwarded and applied by the engine, then the connection is reset instead of answering: the answer is lost. */
  | 'lost'
  /** 400 TransactionCanceledException with a ThrottlingError reason (DynamoDB throttling one item of a transaction). */
  | 'cancelled-throttled';

/** The operation, e.g. `BatchGetItem`, and which attempt of the SDK's this is (its `amz-sdk-request` header). */
export type Call = { operation: string; attempt: number; body: Record<string, unknown> };
export type Plan = (call: Call) => Fault;

const TYPE = 'com.amazonaws.dynamodb.v20120810#';
const errors: Partial<Record<Fault, { status: number; body: Record<string, unknown> }>> = {
  throughput: {
    status: 400,
    body: { __type: `${TYPE}ProvisionedThroughputExceededException`, message: 'The level of configured provisioned throughput for the table was exceeded.' },
  },
  throttling: {
    status: 400,
    body: { __type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' },
  },
  internal: { status: 500, body: { __type: `${TYPE}InternalServerError`, message: 'Internal server error' } },
  unavailable: { status: 503, body: { __type: 'com.amazon.coral.availability#ServiceUnavailableException', message: 'Service unavailable' } },
};

export type FaultProxy = {
  endpoint: string;
  /** Requests seen, by operation: every attempt counts. */
  attempts: Record<string, number>;
  /** Faults injected, by kind. */
  injected: Record<string, number>;
  /** The ClientRequestToken of every TransactWriteItems attempt, in order. */
  tokens: string[];
  setPlan: (plan: Plan) => void;
  close: () => Promise<void>;
};

export const startFaultProxy = async (target: string): Promise<FaultProxy> => {
  const upstream = new URL(target);
  let plan: Plan = () => 'forward';
  const attempts: Record<string, number> = {};
  const injected: Record<string, number> = {};
  const tokens: string[] = [];
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });

  const answer = (res: ServerResponse, status: number, body: Record<string, unknown>) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amz-crc32': String(crc32(text)) });
    res.end(text);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      const attempt = Number(/attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''))?.[1] ?? 1);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        // not JSON: forwarded as it is
      }
      attempts[operation] = (attempts[operation] ?? 0) + 1;
      if (operation === 'TransactWriteItems') tokens.push(String(body.ClientRequestToken ?? ''));
      const fault = plan({ operation, attempt, body });
      if (fault !== 'forward') injected[fault] = (injected[fault] ?? 0) + 1;
      const error = errors[fault];
      if (error) return answer(res, error.status, error.body);
      if (fault === 'cancelled-throttled') {
        const items = Array.isArray(body.TransactItems) ? body.TransactItems : [{}];
        return answer(res, 400, {
          __type: `${TYPE}TransactionCanceledException`,
          Message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [ThrottlingError]',
          CancellationReasons: items.map((_, i) =>
            i === 0
              ? { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity for one or more global secondary indexes.' }
              : { Code: 'None' },
          ),
        });
      }
      if (fault === 'reset') return req.socket.destroy();
      if (fault === 'hang') return; // the client gives up; closing the proxy ends the socket
      forward(req, raw).then(
        (out) => {
          if (fault === 'lost') return req.socket.destroy();
          res.writeHead(out.status, out.headers);
          res.end(out.body);
        },
        () => req.socket.destroy(),
      );
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    attempts,
    injected,
    tokens,
    setPlan: (p) => {
      plan = p;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
};
