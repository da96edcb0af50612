/* global process -- Node's global, not node:process (see below) */
// One cold start, as Lambda's runtime does it: a fresh process imports a bundle (argv[2], a file URL) and handles one
// request. For the service's bundle the event is in BENCH_EVENT, built by the benchmark with the local gateway's event
// builder, and the process exits non-zero unless the record was stored; the SDK-only reference bundle exports run()
// instead. Plain JavaScript, so that the driver itself costs next to nothing to load; `process` is the global one:
// `import process from 'node:process'` builds the module's namespace, reading every property of process, so it created
// process.stdin (and stdout) in every measured process, a few milliseconds the function itself never spends.
const bundle = await import(process.argv[2]);
if (bundle.handler) {
  const event = JSON.parse(process.env.BENCH_EVENT);
  const context = {
    awsRequestId: event.requestContext.requestId,
    functionName: 'record-deployment',
    getRemainingTimeInMillis: () => 29_000,
    callbackWaitsForEmptyEventLoop: true,
  };
  const result = await bundle.handler(event, context);
  if (result.statusCode !== 200) {
    process.stderr.write(`cold start answered ${result.statusCode}: ${result.body}\n`);
    process.exitCode = 1;
  }
} else {
  await bundle.run(process.env, process.env.BENCH_FEED, 'cold-sdk-only');
}
