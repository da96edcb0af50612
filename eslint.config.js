import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of lib/ and the one direction they import in (docs/architecture.md):
 *   lib/domain  records, validation, names and keys, privileges, versions: imports no HTTP, no SDK, no storage;
 *   lib/store   the configuration, the AWS clients and adapters (DynamoDB, EventBridge, SQS): imports the domain only;
 *   lib/http    body decoding, the middleware chain, problem+json: imports the domain only;
 *   lib/app     the use cases (record, read, events, admin, the site), composing the three; builds no AWS client;
 *   functions/  composition roots: lib/store's configuration and adapters wired into lib/app's use cases and lib/http.
 * Only lib/store reads the environment (lib/app and lib/domain get what they need as arguments).
 * A wrong import, or a read of process.env where none belongs, fails `npm run lint` with a message naming the rule.
 */
const layer = (name, forbidden) => forbidden.map(([group, why]) => ({ group, message: `${name} may not import ${why}` }));

const SDK = ['@aws-sdk/*', '@smithy/*'];
const HTTP_PACKAGES = ['@middy/*', '@fastify/busboy', 'aws-lambda', '@aws-lambda-powertools/*'];
const rules = {
  'lib/domain/**': layer('lib/domain (the domain)', [
    [['**/store/**', '**/store'], 'lib/store: the domain imports no storage; storage imports the domain'],
    [['**/http/**', '**/http'], 'lib/http: the domain imports no HTTP; HTTP imports the domain'],
    [['**/app/**', '**/app'], 'lib/app: the use cases compose the domain, not the reverse'],
    [SDK, 'the AWS SDK: the domain imports no SDK (storage lives in lib/store)'],
    [HTTP_PACKAGES, 'Lambda/HTTP packages: the domain imports no HTTP (see lib/http)'],
  ]),
  'lib/store/**': layer('lib/store (storage)', [
    [['**/http/**', '**/http'], 'lib/http: storage imports only the domain'],
    [['**/app/**', '**/app'], 'lib/app: storage imports only the domain'],
    [HTTP_PACKAGES, 'Lambda/HTTP packages: storage imports only the domain and the AWS SDK'],
  ]),
  'lib/http/**': layer('lib/http (HTTP)', [
    [['**/store/**', '**/store'], 'lib/store: HTTP imports only the domain; lib/app composes the two'],
    [['**/app/**', '**/app'], 'lib/app: HTTP imports only the domain'],
    [SDK, 'the AWS SDK: HTTP imports only the domain (storage lives in lib/store)'],
  ]),
  'lib/app/**': layer('lib/app (the use cases)', [
    [SDK, 'the AWS SDK: clients are built in lib/store (client factories and adapters) and wired in functions/'],
  ]),
  'functions/**': layer('functions/ (composition roots)', [
    [['**/lib/domain/**'], 'lib/domain directly: a function composes lib/store adapters, lib/app use cases and lib/http'],
    [SDK, 'the AWS SDK directly: clients are built in lib/store (client factories and adapters)'],
  ]),
};

/** Where the environment may not be read: configuration comes from lib/store/config.ts, passed in by functions/. */
const ENVIRONMENT_READ = 'configuration is read in lib/store/config.ts and passed in by functions/<name>/handler.ts';
const noEnvironment = (name) => ({
  'no-restricted-properties': ['error', { object: 'process', property: 'env', message: `${name} may not read process.env: ${ENVIRONMENT_READ}` }],
  'no-restricted-syntax': [
    'error',
    {
      selector: "MemberExpression[property.name='env'][object.type='MemberExpression'][object.property.name='process']",
      message: `${name} may not read process.env: ${ENVIRONMENT_READ}`,
    },
    {
      selector: 'ImportDeclaration[source.value=/^(node:)?process$/]',
      message: `${name} may not import node:process: ${ENVIRONMENT_READ}`,
    },
  ],
});
const environmentRules = { 'lib/domain/**': noEnvironment('lib/domain (the domain)'), 'lib/app/**': noEnvironment('lib/app (the use cases)') };

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'action/dist/', '.serverless/', '.data/', 'coverage/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // CommonJS files that serverless.yml reads with ${file(...)} (any Serverless version can require them).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  ...Object.entries(rules).map(([folder, patterns]) => ({
    files: [`${folder}/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  })),
  ...Object.entries(environmentRules).map(([folder, folderRules]) => ({ files: [`${folder}/*.ts`], rules: folderRules })),
);
