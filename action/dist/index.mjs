// GitHub Action: built from action/src and cli/ by npm run build:action; do not edit (CI checks it matches).

// action/src/main.ts
import { appendFileSync } from "node:fs";

// cli/args.ts
import { parseArgs } from "node:util";

// lib/domain/routes.ts
var ROUTES = {
  record: { function: "record-deployment", path: "/api/package-deployment", methods: ["POST"], trailingSlash: "canonical", documented: true },
  history: { function: "query-deployments", path: "/api/deployments", methods: ["GET"], trailingSlash: "optional", documented: true },
  current: { function: "query-deployments", path: "/api/deployments/current", methods: ["GET"], trailingSlash: "optional", documented: true },
  overview: { function: "query-deployments", path: "/api/deployments/overview", methods: ["GET"], trailingSlash: "optional", documented: true },
  frequency: { function: "query-deployments", path: "/api/deployments/frequency", methods: ["GET"], trailingSlash: "optional", documented: true },
  dora: { function: "query-deployments", path: "/api/deployments/dora", methods: ["GET"], trailingSlash: "optional", documented: true },
  affected: { function: "query-deployments", path: "/api/deployments/affected", methods: ["GET", "POST"], trailingSlash: "optional", documented: true },
  feeds: { function: "query-deployments", path: "/api/feeds", methods: ["GET"], trailingSlash: "optional", documented: true },
  page: { function: "site", path: "/", methods: ["GET"], trailingSlash: "none", documented: false },
  openapi: { function: "site", path: "/api/openapi.json", methods: ["GET"], trailingSlash: "none", documented: false }
};
var ROUTE_IDS = Object.keys(ROUTES);
var HTTP_FUNCTIONS = [...new Set(ROUTE_IDS.map((id) => ROUTES[id].function))];
var documentedPath = (route) => route.trailingSlash === "canonical" ? `${route.path}/` : route.path;

// cli/output.ts
var EXIT = {
  ok: 0,
  /** Gave up after retries, or an answer the CLI does not expect. */
  failed: 1,
  /** Bad options, or the service found the input invalid (400, 413, 415). */
  invalid: 2,
  /** The key was refused, or lacks the privilege (401, 403). */
  forbidden: 3,
  /** The feed (or, for `current`, any record of the package or target) was not found. */
  notFound: 4,
  /** The Idempotency-Key is taken by another record (422) or still being written when time ran out (409). */
  conflict: 5,
  /** `current --expect-version`: a target runs another version. */
  unexpectedVersion: 6,
  /** `affected`: at least one target runs an affected version. */
  affected: 7
};
var PROGRAM = "package-deployment";
var ESCAPES = { "\n": "\\n", "\r": "\\r", "	": "\\t" };
var escapeControls = (text) => text.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
var IGNORABLE = String.raw`\p{Cf}*`;
var LEADING_COMMAND = new RegExp(String.raw`^([\s\p{Cf}]*):(?=${IGNORABLE}:)`, "u");
var INLINE_COMMAND = new RegExp(String.raw`#(?=${IGNORABLE}#${IGNORABLE}(?:v${IGNORABLE}s${IGNORABLE}o${IGNORABLE})?\[)`, "giu");
var printableLine = (line) => escapeControls(line).replace(LEADING_COMMAND, (_, blank) => `${blank}\\u003a`).replace(INLINE_COMMAND, "\\u0023");
var printable = (io) => ({
  env: io.env,
  stdout: (line) => io.stdout(printableLine(line)),
  stderr: (line) => io.stderr(printableLine(line))
});
var UsageError = class extends Error {
};
var exitForStatus = (status2) => {
  if (status2 >= 200 && status2 < 300) return EXIT.ok;
  if (status2 >= 300 && status2 < 400) return EXIT.invalid;
  if (status2 === 400 || status2 === 413 || status2 === 415) return EXIT.invalid;
  if (status2 === 401 || status2 === 403) return EXIT.forbidden;
  if (status2 === 404) return EXIT.notFound;
  if (status2 === 409 || status2 === 422) return EXIT.conflict;
  return EXIT.failed;
};
var STATUS_WORDS = {
  400: "invalid input",
  401: "refused",
  403: "refused",
  404: "not found",
  409: "conflict",
  413: "request too large",
  415: "unsupported request",
  422: "Idempotency-Key conflict",
  429: "too many requests"
};
var problemDetail = (text) => {
  try {
    const body = JSON.parse(text);
    for (const v of [body.detail, body.title, body.message]) if (typeof v === "string" && v.trim()) return v.trim();
  } catch {
  }
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
};
var describeStatus = (status2, text, location) => {
  if (status2 >= 300 && status2 < 400) return `the service redirects (${status2}) to ${location ?? "another URL"}: use that URL's base as --url`;
  const detail = problemDetail(text);
  const words = STATUS_WORDS[status2] ?? (status2 >= 500 ? "service error" : "unexpected answer");
  return `${words} (${status2})${detail ? `: ${detail}` : ""}`;
};
var table = (rows) => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map(
    (r) => r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd()
  );
};

// cli/args.ts
var DEFAULT_KEY_ENV = "PACKAGE_DEPLOYMENT_API_KEY";
var COMMON_OPTIONS = {
  url: { type: "string" },
  feed: { type: "string" },
  package: { type: "string" },
  group: { type: "string" },
  "key-env": { type: "string" },
  timeout: { type: "string" },
  "attempt-timeout": { type: "string" },
  json: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" }
};
var recordOptions = {
  ...COMMON_OPTIONS,
  version: { type: "string" },
  target: { type: "string" },
  application: { type: "string" },
  description: { type: "string" },
  user: { type: "string" },
  date: { type: "string" },
  link: { type: "string" },
  "idempotency-key": { type: "string" },
  oidc: { type: "boolean" },
  audience: { type: "string" },
  "oidc-token-env": { type: "string" },
  status: { type: "string" },
  "commit-sha": { type: "string" },
  "commit-time": { type: "string" }
};
var currentOptions = {
  ...COMMON_OPTIONS,
  target: { type: "string", multiple: true },
  "expect-version": { type: "string" }
};
var FORBIDDEN = /^--?(key|api-?key|apikey|x-api-?key)(=|$)/i;
var refuseKeyOption = (argv) => {
  const hit = argv.find((a) => FORBIDDEN.test(a));
  if (hit) {
    const name = hit.split("=")[0];
    throw new UsageError(
      `${name} is not accepted: a key on the command line is visible to other processes and in logs. Put it in the environment variable ${DEFAULT_KEY_ENV} (or name another variable with --key-env NAME).`
    );
  }
};
var seconds = (name, value, fallback) => {
  if (value === void 0) return fallback;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || n > 3600)
    throw new UsageError(`--${name} must be a number of seconds from 0 to 3600, got ${JSON.stringify(value)}`);
  return Math.round(n * 1e3);
};
var requireOptions = (values, names) => {
  const missing = names.filter((n) => typeof values[n] !== "string" || values[n].trim() === "");
  if (missing.length) throw new UsageError(`missing ${missing.map((n) => `--${n}`).join(", ")} (see --help)`);
};
var normaliseBase = (url) => {
  let parsed;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new UsageError(`--url must be an absolute http:// or https:// URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`--url must be http:// or https://, got ${parsed.protocol}`);
  if (parsed.username || parsed.password) throw new UsageError("--url must not hold credentials; put the API key in the environment");
  if (parsed.search || parsed.hash) throw new UsageError("--url must not hold a query string or fragment");
  const path = parsed.pathname.replace(/\/+$/, "").replace(/\/api\/(package-deployment|deployments(\/current)?)$/i, "");
  return `${parsed.origin}${path}`;
};
var apiUrl = (base, path, query) => {
  const url = new URL(`${base}${path}`);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== void 0) url.searchParams.set(k, v);
  return url.toString();
};
var nonBlank = (v) => typeof v === "string" && v.trim() !== "" ? v : void 0;
var commonArgs = (values) => ({
  url: normaliseBase(values.url),
  keyEnv: nonBlank(values["key-env"])?.trim() ?? DEFAULT_KEY_ENV,
  keyEnvExplicit: nonBlank(values["key-env"]) !== void 0,
  timeoutMs: seconds("timeout", values.timeout, 6e4),
  attemptTimeoutMs: seconds("attempt-timeout", values["attempt-timeout"], 2e4),
  json: values.json === true,
  verbose: values.verbose === true
});
var parseOptions = (args, options2) => {
  try {
    return parseArgs({ args, options: options2, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(e.message);
  }
};
var status = (value) => {
  if (value === void 0) return void 0;
  if (/^(succeeded|failed)$/i.test(value.trim())) return value.trim();
  throw new UsageError(`--status must be succeeded or failed, got ${JSON.stringify(value)}`);
};
var parseCommandLine = (argv) => {
  refuseKeyOption(argv);
  const [command, ...rest] = argv;
  if (command === void 0) return { command: "help", topic: "main", asked: false };
  if (command === "--help" || command === "-h" || command === "help") return { command: "help", topic: "main" };
  if (command === "record") {
    const values = parseOptions(rest, recordOptions);
    if (values.help) return { command: "help", topic: "record" };
    requireOptions(values, ["url", "feed", "package", "version", "target", "application"]);
    const common = commonArgs(values);
    const tokenEnv = nonBlank(values["oidc-token-env"])?.trim();
    const oidc = values.oidc === true || tokenEnv !== void 0;
    if (!oidc && values.audience !== void 0) throw new UsageError("--audience goes with --oidc");
    if (oidc && values["key-env"] !== void 0) throw new UsageError("--oidc sends an identity token instead of the API key: leave out --key-env");
    return {
      command: "record",
      ...common,
      ...oidc ? { oidc: { audience: nonBlank(values.audience)?.trim() ?? common.url, tokenEnv } } : {},
      feed: values.feed,
      package: values.package,
      version: values.version,
      target: values.target,
      application: values.application,
      description: nonBlank(values.description),
      group: nonBlank(values.group),
      user: nonBlank(values.user),
      date: nonBlank(values.date),
      link: nonBlank(values.link),
      idempotencyKey: nonBlank(values["idempotency-key"]),
      status: status(nonBlank(values.status)),
      commitSha: nonBlank(values["commit-sha"]),
      commitTime: nonBlank(values["commit-time"])
    };
  }
  if (command === "current") {
    const values = parseOptions(rest, currentOptions);
    if (values.help) return { command: "help", topic: "current" };
    requireOptions(values, ["url", "feed", "package"]);
    return {
      command: "current",
      ...commonArgs(values),
      feed: values.feed,
      package: values.package,
      group: nonBlank(values.group),
      targets: (values.target ?? []).map((t) => t.trim()).filter(Boolean),
      expectVersion: nonBlank(values["expect-version"])
    };
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)}; the commands are record, current and affected (see --help)`);
};
var HELP = {
  main: `Usage: package-deployment <command> [options]

Commands:
  record    record a deployment (POST ${documentedPath(ROUTES.record)}), retried safely with an Idempotency-Key
  current   show which version of a package runs on each target (GET ${ROUTES.current.path})
  affected  list the targets that run an affected version: a range or an OSV advisory (exit 7 if any)

The API key comes from the environment variable ${DEFAULT_KEY_ENV} (or --key-env NAME), never from the
command line. Without one, requests are anonymous.

Run "package-deployment <command> --help" for a command's options.`,
  record: `Usage: package-deployment record --url BASE --feed F --package P --version V --target T --application A [options]

Records one deployment. Retries network errors, timeouts, 408, 409, 429 and 5xx with backoff (honouring
Retry-After) within --timeout, always with the same Idempotency-Key, so the service keeps one record.

Required:
  --url BASE              the service's base URL, e.g. https://deployments.example.com or https://host/prod
  --feed F                FeedName
  --package P             PackageName
  --version V             Version
  --target T              Target (where it was deployed, e.g. a server name)
  --application A         Application (the tool deploying)
Optional:
  --description D         Description (default: names the CI service, run and commit; outside CI a fixed text)
  --group G               GroupName
  --user U                UserName (default: the API key's user, or Anonymous)
  --date ISO              Date (default: when the service receives it)
  --link URL              Url (default in CI: the run's URL)
  --status S              succeeded (the default) or failed: a failed deployment is recorded as history, and the
                          target keeps what it ran
  --commit-sha SHA        CommitSha (default in CI: the run's commit, e.g. GITHUB_SHA or CI_COMMIT_SHA)
  --commit-time ISO       CommitTime, what lead time is measured from (default: that commit's committer date,
                          from git show -s --format=%cI SHA, when the working directory is a git checkout
                          holding it)
  --idempotency-key K     Idempotency-Key (default in CI: derived from the run, attempt, job, feed, package,
                          version and target; outside CI: random per invocation)
  --key-env NAME          read the API key from this variable instead of ${DEFAULT_KEY_ENV}
  --oidc                  no API key: send the CI job's OpenID Connect identity token (the feed must trust the
                          repository: trust add). GitHub Actions: requested from the runner (the job needs
                          permissions: id-token: write). GitLab CI: with --oidc-token-env NAME
  --audience A            the token's audience (default: --url as given, without a trailing slash)
  --oidc-token-env NAME   read the identity token from this variable (GitLab's id_tokens: NAME); implies --oidc
  --timeout S             give up after S seconds in all (default 60)
  --attempt-timeout S     one attempt's time limit (default 20)
  --json                  print the stored record (JSON) on stdout
  -v, --verbose           log each attempt on stderr (never the API key or token)

Exit codes: 0 recorded (or replayed), 1 gave up after retries or unexpected answer, 2 invalid input or options,
3 key refused or lacks the privilege (403), 4 feed not found (404), 5 Idempotency-Key conflict (422, or 409
until --timeout).`,
  current: `Usage: package-deployment current --url BASE --feed F --package P [--group G] [--target T ...] [options]

Shows the latest record of a package on each target (GET ${ROUTES.current.path}), as a table or --json.

  --target T              only this target (repeat for several; matched case-insensitively)
  --expect-version V      exit 6 unless every listed target runs V (a pipeline gate)
  --key-env NAME          read the API key from this variable instead of ${DEFAULT_KEY_ENV}
  --timeout S, --attempt-timeout S, --json, -v/--verbose   as for record

Exit codes: 0 listed (and, with --expect-version, all at V), 1 gave up or unexpected answer, 2 invalid options
or parameters, 3 key refused or lacks Feeds_ViewFeed, 4 feed not found, or no record of the package (or of a
--target), 6 a listed target runs another version.`
};

// cli/record.ts
import { execFileSync } from "node:child_process";

// cli/auth.ts
var apiKeyHeaders = (c, io, log) => {
  const value = io.env[c.keyEnv]?.trim();
  if (!value) {
    if (c.keyEnvExplicit) throw new UsageError(`--key-env ${c.keyEnv}: that environment variable is not set (or is empty)`);
    log(`no API key in ${c.keyEnv}: calling anonymously`);
    return {};
  }
  if (/[\r\n]/.test(value) || !/^[\x20-\x7e]+$/.test(value)) throw new UsageError(`the API key in ${c.keyEnv} holds characters an HTTP header cannot carry`);
  log(`API key: from ${c.keyEnv}`);
  return { "X-ApiKey": value };
};
var USER_AGENT = "package-deployment-cli/1";

// cli/ci-env.ts
var set = (env, name) => {
  const v = env[name]?.trim();
  return v ? v : void 0;
};
var join = (...parts) => parts.filter(Boolean).join(", ");
var trimSlash = (s) => s.replace(/\/+$/, "");
var PROVIDERS = [
  {
    name: "GitHub Actions",
    slug: "github-actions",
    detect: (env) => env.GITHUB_ACTIONS === "true",
    required: ["GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_JOB"],
    optional: ["GITHUB_SERVER_URL", "GITHUB_REPOSITORY"],
    url: (env) => {
      const server = set(env, "GITHUB_SERVER_URL");
      const repo = set(env, "GITHUB_REPOSITORY");
      return server && repo ? `${trimSlash(server)}/${repo}/actions/runs/${set(env, "GITHUB_RUN_ID")}` : void 0;
    },
    commit: "GITHUB_SHA",
    run: (env) => join(
      `${set(env, "GITHUB_REPOSITORY") ?? ""} run ${set(env, "GITHUB_RUN_ID")} attempt ${set(env, "GITHUB_RUN_ATTEMPT")}`.trim(),
      `job ${set(env, "GITHUB_JOB")}`
    )
  },
  {
    name: "GitLab CI",
    slug: "gitlab-ci",
    detect: (env) => env.GITLAB_CI === "true",
    // A retried GitLab job is a new job with a new CI_JOB_ID: the job id is the attempt.
    required: ["CI_PIPELINE_ID", "CI_JOB_ID"],
    optional: ["CI_SERVER_URL", "CI_PROJECT_PATH"],
    url: (env) => set(env, "CI_JOB_URL") ?? set(env, "CI_PIPELINE_URL"),
    commit: "CI_COMMIT_SHA",
    run: (env) => join(
      `${set(env, "CI_PROJECT_PATH") ?? ""} pipeline ${set(env, "CI_PIPELINE_ID")}`.trim(),
      `job ${set(env, "CI_JOB_NAME") ?? ""} ${set(env, "CI_JOB_ID")}`.replace("  ", " ")
    )
  },
  {
    name: "Azure Pipelines",
    slug: "azure-pipelines",
    detect: (env) => env.TF_BUILD?.toLowerCase() === "true",
    required: ["BUILD_BUILDID", "SYSTEM_JOBATTEMPT", "SYSTEM_JOBID"],
    optional: ["SYSTEM_COLLECTIONURI", "SYSTEM_TEAMPROJECT"],
    url: (env) => {
      const collection = set(env, "SYSTEM_COLLECTIONURI");
      const project = set(env, "SYSTEM_TEAMPROJECT");
      return collection && project ? `${trimSlash(collection)}/${encodeURIComponent(project)}/_build/results?buildId=${encodeURIComponent(set(env, "BUILD_BUILDID") ?? "")}` : void 0;
    },
    commit: "BUILD_SOURCEVERSION",
    run: (env) => join(
      `${set(env, "SYSTEM_TEAMPROJECT") ?? ""} build ${set(env, "BUILD_BUILDNUMBER") ?? set(env, "BUILD_BUILDID")}`.trim(),
      `job ${set(env, "SYSTEM_JOBDISPLAYNAME") ?? set(env, "SYSTEM_JOBID")} attempt ${set(env, "SYSTEM_JOBATTEMPT")}`
    )
  },
  {
    name: "Bitbucket Pipelines",
    slug: "bitbucket-pipelines",
    detect: (env) => set(env, "BITBUCKET_BUILD_NUMBER") !== void 0,
    required: ["BITBUCKET_BUILD_NUMBER", "BITBUCKET_STEP_UUID"],
    optional: ["BITBUCKET_PIPELINE_UUID", "BITBUCKET_REPO_FULL_NAME"],
    url: (env) => {
      const origin = set(env, "BITBUCKET_GIT_HTTP_ORIGIN");
      return origin ? `${trimSlash(origin)}/pipelines/results/${set(env, "BITBUCKET_BUILD_NUMBER")}` : void 0;
    },
    commit: "BITBUCKET_COMMIT",
    run: (env) => join(`${set(env, "BITBUCKET_REPO_FULL_NAME") ?? ""} pipeline ${set(env, "BITBUCKET_BUILD_NUMBER")}`.trim(), `step ${set(env, "BITBUCKET_STEP_UUID")}`)
  },
  {
    name: "CircleCI",
    slug: "circleci",
    detect: (env) => env.CIRCLECI === "true",
    // A rerun job gets a new CIRCLE_BUILD_NUM.
    required: ["CIRCLE_BUILD_NUM", "CIRCLE_JOB"],
    optional: ["CIRCLE_WORKFLOW_ID", "CIRCLE_PROJECT_USERNAME", "CIRCLE_PROJECT_REPONAME"],
    url: (env) => set(env, "CIRCLE_BUILD_URL"),
    commit: "CIRCLE_SHA1",
    run: (env) => join(`workflow ${set(env, "CIRCLE_WORKFLOW_ID") ?? "?"}`, `job ${set(env, "CIRCLE_JOB")} ${set(env, "CIRCLE_BUILD_NUM")}`)
  },
  {
    name: "Jenkins",
    slug: "jenkins",
    detect: (env) => set(env, "JENKINS_URL") !== void 0,
    // BUILD_TAG is jenkins-${JOB_NAME}-${BUILD_NUMBER}: the job and its build (a rebuild has a new number).
    required: ["BUILD_TAG"],
    optional: ["JENKINS_URL"],
    url: (env) => set(env, "BUILD_URL"),
    commit: "GIT_COMMIT",
    run: (env) => `build ${set(env, "BUILD_TAG")}`
  }
];
var detectCi = (env) => {
  const provider = PROVIDERS.find((p) => p.detect(env));
  if (!provider) return { run: void 0, note: "no CI service detected" };
  const missing = provider.required.filter((name) => set(env, name) === void 0);
  if (missing.length > 0) {
    return { run: void 0, note: `${provider.name} detected, but ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set` };
  }
  const identity = [...provider.required, ...provider.optional].filter((name) => set(env, name) !== void 0).map((name) => `${name}=${set(env, name)}`);
  const commit = set(env, provider.commit);
  const description = `Deployed by ${provider.name} ${provider.run(env)}${commit ? `, commit ${commit}` : ""}`;
  return { run: { provider: provider.slug, name: provider.name, identity, url: provider.url(env), commit, description } };
};

// cli/oidc.ts
var TokenRequestError = class extends Error {
};
var TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
var oidcHeaders = async (args, io, log, timeoutMs) => {
  const oidc = args.oidc;
  if (io.env[args.keyEnv]?.trim()) log(`--oidc: the API key in ${args.keyEnv} is not sent`);
  if (oidc.tokenEnv !== void 0) {
    const token = io.env[oidc.tokenEnv]?.trim();
    if (!token) {
      throw new UsageError(
        `--oidc-token-env ${oidc.tokenEnv}: that environment variable is not set (or is empty); on GitLab CI declare it in the job: id_tokens: ${oidc.tokenEnv}: aud: ${oidc.audience}`
      );
    }
    if (!TOKEN_SHAPE.test(token)) throw new UsageError(`--oidc-token-env ${oidc.tokenEnv}: that variable does not hold a JSON Web Token`);
    log(`identity token: from ${oidc.tokenEnv}`);
    return { Authorization: `Bearer ${token}` };
  }
  const requestUrl = io.env.ACTIONS_ID_TOKEN_REQUEST_URL?.trim();
  const requestToken = io.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN?.trim();
  if (!requestUrl || !requestToken) {
    throw new UsageError(
      '--oidc: no identity token to request. On GitHub Actions the job needs "permissions: id-token: write" (without it the runner sets neither ACTIONS_ID_TOKEN_REQUEST_URL nor ACTIONS_ID_TOKEN_REQUEST_TOKEN); on GitLab CI use --oidc-token-env NAME with an id_tokens: entry.'
    );
  }
  const url = new URL(requestUrl);
  url.searchParams.set("audience", oidc.audience);
  log(`identity token: requested from GitHub Actions for audience ${oidc.audience}`);
  let response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${requestToken}`, Accept: "application/json", "User-Agent": USER_AGENT },
      signal: AbortSignal.timeout(timeoutMs)
    });
  } catch (e) {
    throw new TokenRequestError(`the GitHub Actions identity token request failed: ${e.name}`);
  }
  if (!response.ok) throw new TokenRequestError(`the GitHub Actions identity token request answered ${response.status}`);
  const value = (await response.json().catch(() => ({}))).value;
  if (typeof value !== "string" || !TOKEN_SHAPE.test(value)) throw new TokenRequestError("the GitHub Actions identity token request answered no token");
  return { Authorization: `Bearer ${value}` };
};

// cli/http.ts
import { setTimeout as sleep } from "node:timers/promises";
var DEFAULT_POLICY = { totalMs: 6e4, attemptMs: 2e4, baseDelayMs: 250, maxDelayMs: 1e4 };
var MIN_ATTEMPT_MS = 100;
var realClock = { now: Date.now, random: Math.random, sleep: (ms) => sleep(ms) };
var parseRetryAfter = (value, now) => {
  if (value === null || value === void 0) return void 0;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1e3;
  if (!/^[A-Za-z]{3,9},? .*\d{1,2}:\d{2}:\d{2}/.test(v)) return void 0;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return void 0;
  return Math.max(0, at - now);
};
var backoffDelay = (retry, policy, random) => Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retry, 30)));
var isRetryableStatus = (status2, alsoRetry = []) => status2 === 408 || status2 === 429 || status2 >= 500 || alsoRetry.includes(status2);
var describeError = (e) => {
  if (e instanceof Error) {
    if (e.name === "TimeoutError" || e.name === "AbortError") return "timed out";
    const cause = e.cause;
    if (cause?.code) return `${e.message} (${cause.code})`;
    if (cause?.message) return `${e.message} (${cause.message})`;
    return e.message;
  }
  return String(e);
};
var sendWithRetries = async (request, policy, log, clock = realClock) => {
  const start = clock.now();
  const deadline = start + policy.totalMs;
  let attempts = 0;
  let lastError = "";
  let lastAttempt = false;
  for (let retry = 0; ; retry++) {
    attempts++;
    const budget = Math.min(policy.attemptMs, deadline - clock.now());
    let answer;
    try {
      const res = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(Math.max(1, budget)),
        // A redirect is answered as it is (a POST must not turn into a GET): the caller says which --url to use.
        redirect: "manual"
      });
      answer = { status: res.status, headers: res.headers, text: await res.text() };
    } catch (e) {
      lastError = describeError(e);
    }
    const retryable = answer ? isRetryableStatus(answer.status, policy.alsoRetry) : true;
    log(`attempt ${attempts}: ${answer ? `${answer.status}` : lastError}${retryable ? "" : " (final)"}`);
    if (answer && !retryable) return { kind: "answer", answer, attempts, retriesExhausted: false };
    const retryAfter = answer ? parseRetryAfter(answer.headers.get("retry-after"), clock.now()) : void 0;
    const left = deadline - clock.now();
    const backoff = retryAfter === void 0 ? backoffDelay(retry, policy, clock.random) : 0;
    const wait = retryAfter ?? Math.min(backoff, Math.max(0, left - MIN_ATTEMPT_MS));
    if (lastAttempt || wait + MIN_ATTEMPT_MS > left) {
      log(
        `giving up: ${retryAfter !== void 0 ? `the service asks to wait ${Math.ceil(wait / 1e3)} s, ` : ""}${Math.max(0, Math.round(left / 100) / 10)} s of --timeout left`
      );
      return answer ? { kind: "answer", answer, attempts, retriesExhausted: true } : { kind: "failed", error: lastError, attempts };
    }
    lastAttempt = retryAfter === void 0 && wait < backoff;
    log(`retrying in ${wait} ms${retryAfter !== void 0 ? " (Retry-After)" : lastAttempt ? " (the last attempt --timeout leaves room for)" : ""}`);
    await clock.sleep(wait);
  }
};

// cli/idempotency.ts
import { createHash, randomUUID } from "node:crypto";
var IDEMPOTENCY_KEY_MAX = 255;
var checkIdempotencyKey = (key) => key.length >= 1 && key.length <= IDEMPOTENCY_KEY_MAX && /^[\x21-\x7e]+$/.test(key) && !key.includes(",") ? void 0 : `--idempotency-key must be 1 to ${IDEMPOTENCY_KEY_MAX} visible ASCII characters without a comma`;
var ciIdempotencyKey = (run, record) => {
  const material = JSON.stringify([
    "v1",
    run.provider,
    run.identity,
    record.FeedName,
    record.GroupName ?? "",
    record.PackageName,
    record.Version,
    record.Target
  ]);
  return `pda-${run.provider}-${createHash("sha256").update(material, "utf8").digest("hex")}`;
};
var randomIdempotencyKey = () => `pda-${randomUUID()}`;

// cli/record.ts
var DEFAULT_DESCRIPTION = "Recorded with the package-deployment CLI";
var COMMIT_SHA = /^[0-9a-f]{7,64}$/i;
var gitCommitTime = (sha) => {
  try {
    const out = execFileSync("git", ["show", "-s", "--format=%cI", sha, "--"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5e3 });
    const time = out.trim();
    return /^\d{4}-\d{2}-\d{2}T/.test(time) ? time : void 0;
  } catch {
    return void 0;
  }
};
var buildRecord = (args, env, log, commitTimeOf = gitCommitTime) => {
  const ci = detectCi(env);
  const body = {
    FeedName: args.feed,
    PackageName: args.package,
    Version: args.version,
    Target: args.target,
    Application: args.application,
    Description: args.description ?? ci.run?.description ?? DEFAULT_DESCRIPTION
  };
  if (args.group !== void 0) body.GroupName = args.group;
  if (args.user !== void 0) body.UserName = args.user;
  const url = args.link ?? ci.run?.url;
  if (url !== void 0) body.Url = url;
  if (args.date !== void 0) body.Date = args.date;
  if (args.status !== void 0) body.Status = args.status;
  const ciCommit = ci.run?.commit !== void 0 && COMMIT_SHA.test(ci.run.commit) ? ci.run.commit : void 0;
  const sha = args.commitSha ?? ciCommit;
  if (sha !== void 0) body.CommitSha = sha;
  const commitTime = args.commitTime ?? (sha !== void 0 && COMMIT_SHA.test(sha) ? commitTimeOf(sha) : void 0);
  if (commitTime !== void 0) body.CommitTime = commitTime;
  if (sha !== void 0 && args.commitTime === void 0) {
    log(commitTime !== void 0 ? `CommitTime ${commitTime} (git show of ${sha})` : `no CommitTime: commit ${sha} is not in a git checkout here`);
  }
  let idempotencyKey;
  if (args.idempotencyKey !== void 0) {
    const problem = checkIdempotencyKey(args.idempotencyKey);
    if (problem) throw new UsageError(problem);
    idempotencyKey = args.idempotencyKey;
    log(`Idempotency-Key ${idempotencyKey} (from --idempotency-key)`);
  } else if (ci.run) {
    idempotencyKey = ciIdempotencyKey(ci.run, {
      FeedName: args.feed,
      GroupName: args.group,
      PackageName: args.package,
      Version: args.version,
      Target: args.target
    });
    log(`${ci.run.name}: ${ci.run.identity.join(" ")}`);
    log(
      `Idempotency-Key ${idempotencyKey} (from the ${ci.run.name} run, attempt and job, and the record's feed, package, version and target: the same on a retried step)`
    );
  } else {
    idempotencyKey = randomIdempotencyKey();
    log(`${ci.note}: Idempotency-Key ${idempotencyKey} is random, new for this invocation (its own retries are safe; running the command again records again)`);
  }
  return { body, idempotencyKey };
};
var recordCommand = async (args, rawIo, clock = realClock) => {
  const io = printable(rawIo);
  const log = (line) => {
    if (args.verbose) io.stderr(`${PROGRAM}: ${line}`);
  };
  const { body, idempotencyKey } = buildRecord(args, io.env, log);
  let auth;
  try {
    auth = args.oidc ? await oidcHeaders(args, io, log, args.attemptTimeoutMs) : apiKeyHeaders(args, io, log);
  } catch (e) {
    if (!(e instanceof TokenRequestError)) throw e;
    io.stderr(`${PROGRAM}: ${e.message}`);
    return { exitCode: EXIT.failed, replayed: false, idempotencyKey };
  }
  const headers = {
    "Content-Type": "application/json",
    Accept: "application/json, application/problem+json",
    "User-Agent": USER_AGENT,
    "Idempotency-Key": idempotencyKey,
    ...auth
  };
  const url = apiUrl(args.url, documentedPath(ROUTES.record));
  log(`POST ${url}`);
  const outcome = await sendWithRetries(
    { method: "POST", url, headers, body: JSON.stringify(body) },
    // 409: the same key is still being written (Retry-After: 1); waiting for it is the point of the key.
    { ...DEFAULT_POLICY, totalMs: args.timeoutMs, attemptMs: args.attemptTimeoutMs, alsoRetry: [409] },
    log,
    clock
  );
  if (outcome.kind === "failed") {
    io.stderr(`${PROGRAM}: gave up after ${outcome.attempts} attempt(s) in ${args.timeoutMs / 1e3} s: ${outcome.error}`);
    return { exitCode: EXIT.failed, replayed: false, idempotencyKey };
  }
  const { answer, attempts, retriesExhausted } = outcome;
  if (answer.status !== 200) {
    const why = describeStatus(answer.status, answer.text, answer.headers.get("location"));
    io.stderr(`${PROGRAM}: ${retriesExhausted ? `gave up after ${attempts} attempt(s) in ${args.timeoutMs / 1e3} s: ` : ""}${why}`);
    return { exitCode: exitForStatus(answer.status), replayed: false, idempotencyKey };
  }
  let record;
  try {
    record = JSON.parse(answer.text);
  } catch {
    io.stderr(`${PROGRAM}: the service answered 200 without a JSON record; is --url the service's base URL?`);
    return { exitCode: EXIT.failed, replayed: false, idempotencyKey };
  }
  const replayed = answer.headers.get("idempotent-replayed") === "true";
  if (args.json) {
    io.stdout(JSON.stringify(record));
  } else {
    const what = `${body.PackageName} ${body.Version} on ${body.Target} (feed ${body.FeedName}) as ${String(record.Id)}`;
    const recorded = record.Status === "Failed" ? `Recorded the failed deployment of ${what}` : `Recorded ${what}`;
    io.stdout(replayed ? `Already recorded: ${what} (Idempotency-Key replayed, nothing new stored)` : recorded);
  }
  if (replayed) log("the service answered with the record this Idempotency-Key stored before (Idempotent-Replayed: true)");
  return { exitCode: EXIT.ok, record, replayed, idempotencyKey };
};

// cli/affected.ts
import { readFileSync } from "node:fs";
var MAX_OSV_BYTES = 1024 * 1024;
var options = {
  ...COMMON_OPTIONS,
  range: { type: "string" },
  osv: { type: "string" }
};
var AFFECTED_HELP = `Usage: package-deployment affected --url BASE --feed F (--package P --range R | --osv FILE) [--group G] [options]

Lists the targets whose current version of a package is in a range, or that an OSV advisory (GitHub Advisory
Database, osv.dev) names as affected (the service's ${ROUTES.affected.path}), as a table or --json.

  --package P --range R   a package and a range: NuGet interval notation ((,13.0.1), [1.0,2.0)) or an npm semver
                          range (<13.0.1, >=1.0.0 <1.2.6 || <0.2.4); a bare version is refused (say < or =)
  --group G               GroupName of --package
  --osv FILE              an OSV advisory's JSON file instead (every package it names; - reads standard input)
  --key-env NAME          read the API key from this variable instead of ${DEFAULT_KEY_ENV}
  --timeout S, --attempt-timeout S, --json, -v/--verbose   as for record

Exit codes: 0 no target affected, 7 at least one target affected, 1 gave up or unexpected answer, 2 invalid options,
range or advisory, 3 key refused or lacks Feeds_ViewFeed, 4 feed not found.`;
var parseAffectedArgs = (argv, readFile = (p) => readFileSync(p === "-" ? 0 : p)) => {
  refuseKeyOption(argv);
  const values = parseOptions(argv, options);
  if (values.help) return "help";
  requireOptions(values, ["url", "feed"]);
  const osvFile = nonBlank(values.osv);
  if (osvFile !== void 0 && (values.package !== void 0 || values.range !== void 0 || values.group !== void 0)) {
    throw new UsageError("give either --osv FILE or --package P --range R, not both");
  }
  if (osvFile === void 0 && (nonBlank(values.package) === void 0 || nonBlank(values.range) === void 0)) {
    throw new UsageError("give --package P and --range R, or --osv FILE (see --help)");
  }
  let osv;
  if (osvFile !== void 0) {
    let bytes;
    try {
      bytes = readFile(osvFile);
    } catch (e) {
      throw new UsageError(`--osv ${osvFile}: cannot read it (${e.code ?? e.message})`);
    }
    if (bytes.length > MAX_OSV_BYTES) throw new UsageError(`--osv ${osvFile}: ${bytes.length} bytes; the service reads at most ${MAX_OSV_BYTES}`);
    osv = { file: osvFile, text: bytes.toString("utf8") };
  }
  return {
    command: "affected",
    ...commonArgs(values),
    feed: values.feed,
    package: nonBlank(values.package),
    group: nonBlank(values.group),
    range: nonBlank(values.range),
    osv
  };
};
var merge = (into, page) => {
  if (!into) return { Advisory: page.Advisory, Packages: page.Packages.map((p) => ({ ...p })), Checked: page.Checked };
  page.Packages.forEach((p, i) => {
    const m = into.Packages[i];
    if (!m) return void into.Packages.push({ ...p });
    if (p.Affected.length + p.Unknown.length + p.Unaffected > 0) {
      m.PackageName = p.PackageName;
      if (p.GroupName !== void 0) m.GroupName = p.GroupName;
    }
    m.Affected = [...m.Affected, ...p.Affected];
    m.Unknown = [...m.Unknown, ...p.Unknown];
    m.Unaffected += p.Unaffected;
  });
  into.Checked += page.Checked;
  return into;
};
var nameOf = (p) => `${p.GroupName ? `${p.GroupName}/` : ""}${p.PackageName}`;
var affectedCommand = async (args, rawIo, clock = realClock) => {
  const io = printable(rawIo);
  const log = (line) => {
    if (args.verbose) io.stderr(`${PROGRAM}: ${line}`);
  };
  const headers = { Accept: "application/json, application/problem+json", "User-Agent": USER_AGENT, ...apiKeyHeaders(args, io, log) };
  if (args.osv) headers["Content-Type"] = "application/json";
  const deadline = clock.now() + args.timeoutMs;
  let answer;
  let cursor;
  do {
    const query = args.osv ? { FeedName: args.feed, cursor } : { FeedName: args.feed, PackageName: args.package, GroupName: args.group, Range: args.range, cursor };
    const url = apiUrl(args.url, ROUTES.affected.path, query);
    log(`${args.osv ? "POST" : "GET"} ${url}`);
    const outcome = await sendWithRetries(
      args.osv ? { method: "POST", url, headers, body: args.osv.text } : { method: "GET", url, headers },
      { ...DEFAULT_POLICY, totalMs: Math.max(1, deadline - clock.now()), attemptMs: args.attemptTimeoutMs },
      log,
      clock
    );
    if (outcome.kind === "failed") {
      io.stderr(`${PROGRAM}: gave up after ${outcome.attempts} attempt(s) in ${args.timeoutMs / 1e3} s: ${outcome.error}`);
      return { exitCode: EXIT.failed };
    }
    const res = outcome.answer;
    if (res.status !== 200) {
      io.stderr(
        `${PROGRAM}: ${outcome.retriesExhausted ? `gave up after ${outcome.attempts} attempt(s): ` : ""}${describeStatus(res.status, res.text, res.headers.get("location"))}`
      );
      return { exitCode: exitForStatus(res.status) };
    }
    const page = JSON.parse(res.text);
    answer = merge(answer, page);
    cursor = page.NextCursor;
  } while (cursor);
  const affected2 = answer.Packages.flatMap((p) => p.Affected.map((r) => ({ p, r, status: "affected" })));
  const unknown = answer.Packages.flatMap((p) => p.Unknown.map((r) => ({ p, r, status: "unknown" })));
  if (args.json) io.stdout(JSON.stringify(answer));
  else if (affected2.length + unknown.length > 0) {
    for (const line of table([
      ["PACKAGE", "TARGET", "REGION", "VERSION", "STATUS", "FIXED IN"],
      ...[...affected2, ...unknown].map(({ p, r, status: status2 }) => [nameOf(p), r.Target, r.Region, r.Version, status2, r.FixedIn].map((v) => String(v ?? "")))
    ])) {
      io.stdout(line);
    }
  }
  const what = args.osv ? `${answer.Advisory ?? args.osv.file}` : `${args.group ? `${args.group}/` : ""}${args.package} ${args.range}`;
  for (const p of answer.Packages.filter((q) => q.Matching === "versions-list")) {
    io.stderr(`${PROGRAM}: ${nameOf(p)} (${p.Ecosystem ?? "unknown ecosystem"}) matched by the advisory's versions list only`);
  }
  if (unknown.length) {
    io.stderr(
      `${PROGRAM}: ${unknown.length} target(s) run versions that cannot be ordered, check them by hand: ${unknown.map(({ r }) => `${r.Target} (${r.Version})`).join(", ")}`
    );
  }
  if (affected2.length) {
    io.stderr(`${PROGRAM}: ${affected2.length} of ${answer.Checked} target(s) run an affected version (${what})`);
    return { exitCode: EXIT.affected, answer, affectedCount: affected2.length };
  }
  log(`none of ${answer.Checked} target(s) runs an affected version (${what})`);
  return { exitCode: EXIT.ok, answer, affectedCount: 0 };
};

// action/src/main.ts
var input = (name) => (process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
var escapeData = (s) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
var setOutput = (name, value) => {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) {
    console.log(printableLine(`${name}=${value}`));
    return;
  }
  if (/[\r\n]/.test(value)) throw new Error(`output ${name} holds a line break`);
  appendFileSync(file, `${name}=${value}
`, "utf8");
};
var argvOf = (names) => {
  const argv = names.flatMap((name) => input(name) ? [`--${name}=${input(name)}`] : []);
  if (/^true$/i.test(input("verbose"))) argv.push("--verbose");
  return argv;
};
var stepIo = () => {
  let last = "";
  const io = {
    env: process.env,
    stdout: (line) => process.stdout.write(`${line}
`),
    stderr: (line) => {
      last = line;
      process.stderr.write(`${line}
`);
    }
  };
  return { io, lastError: () => last };
};
var failureMessage = (e) => escapeControls(
  e instanceof UsageError ? `package-deployment: ${e.message.replace(" (see --help)", "").replace(/--([a-z][a-z-]*)/g, "input $1")}` : `package-deployment: unexpected failure: ${e.message}`
);
var main = async () => {
  const key = input("api-key");
  if (key) {
    process.stdout.write(`::add-mask::${escapeData(key)}
`);
    process.env[DEFAULT_KEY_ENV] = key;
  }
  delete process.env["INPUT_API-KEY"];
  if (input("command") !== "" && input("command") !== "record" && input("command") !== "affected") {
    process.stdout.write(
      `::error title=Unknown command::${escapeData(`package-deployment: input command is ${input("command")}; use record (the default) or affected`)}
`
    );
    return EXIT.invalid;
  }
  if (input("command") === "affected") return affected();
  const argv = [
    "record",
    ...argvOf([
      "url",
      "feed",
      "package",
      "version",
      "target",
      "application",
      "description",
      "group",
      "user",
      "date",
      "link",
      "idempotency-key",
      "status",
      "commit-sha",
      "commit-time",
      "timeout"
    ])
  ];
  const auth = input("auth") || "api-key";
  if (auth === "oidc") {
    argv.push("--oidc");
    if (input("audience")) argv.push(`--audience=${input("audience")}`);
  } else if (auth !== "api-key") {
    process.stdout.write(`::error title=Deployment not recorded::${escapeData(`auth: ${auth} is not one of api-key, oidc`)}
`);
    return EXIT.invalid;
  }
  const { io, lastError } = stepIo();
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.command !== "record") throw new UsageError("internal: not a record command");
    const result = await recordCommand(parsed, io);
    if (result.exitCode === EXIT.ok && result.record) {
      setOutput("id", String(result.record.Id));
      setOutput("replayed", String(result.replayed));
      setOutput("idempotency-key", result.idempotencyKey);
      setOutput("record", JSON.stringify(result.record));
    } else {
      process.stdout.write(`::error title=Deployment not recorded::${escapeData(lastError() || `exit code ${result.exitCode}`)}
`);
    }
    return result.exitCode;
  } catch (e) {
    process.stdout.write(`::error title=Deployment not recorded::${escapeData(failureMessage(e))}
`);
    return e instanceof UsageError ? EXIT.invalid : EXIT.failed;
  }
};
var affected = async () => {
  const argv = argvOf(["url", "feed", "package", "group", "range", "osv", "timeout"]);
  const { io, lastError } = stepIo();
  try {
    const parsed = parseAffectedArgs(argv);
    if (parsed === "help") throw new UsageError("internal: help asked");
    const result = await affectedCommand(parsed, io);
    if (result.affectedCount !== void 0) {
      setOutput("affected-count", String(result.affectedCount));
      if (result.affectedCount > 0) process.stdout.write(`::error title=Affected targets::${escapeData(lastError())}
`);
    } else {
      process.stdout.write(`::error title=Affected targets not checked::${escapeData(lastError() || `exit code ${result.exitCode}`)}
`);
    }
    return result.exitCode;
  } catch (e) {
    process.stdout.write(`::error title=Affected targets not checked::${escapeData(failureMessage(e))}
`);
    return e instanceof UsageError ? EXIT.invalid : EXIT.failed;
  }
};
process.exitCode = await main();
