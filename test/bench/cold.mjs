import process from 'node:process';

// One cold start, as Lambda's runtime does it: a fresh process imports the bundle and handles one request (the event
// is in BENCH_EVENT, built by the benchmark with the local gateway's event builder). Exits non-zero unless it was
// stored. Plain JavaScript so that the driver itself costs next to nothing to load.
const { handler } = await import(process.env.BENCH_BUNDLE);
const event = JSON.parse(process.env.BENCH_EVENT);
const context = {
  awsRequestId: event.requestContext.requestId,
  functionName: 'record-deployment',
  getRemainingTimeInMillis: () => 29_000,
  callbackWaitsForEmptyEventLoop: true,
};
const result = await handler(event, context);
if (result.statusCode !== 200) {
  process.stderr.write(`cold start answered ${result.statusCode}: ${result.body}\n`);
  process.exitCode = 1;
}
