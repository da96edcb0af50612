import { defineConfig } from 'vitest/config';

/**
 * Four suites: unit (no network), integration (a real local DynamoDB: dynalite by default, Amazon's DynamoDB Local
 * with DYNAMODB_ENGINE=dynamodb-local), end-to-end (HTTP against the local gateway, or E2E_BASE_URL), and reliability
 * (`npm run test:reliability`, outside `npm test`: fuzzing, load, faults, secrets, with printed figures).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          setupFiles: ['test/integration/setup.ts'],
          env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
          testTimeout: 20_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 20_000,
          hookTimeout: 90_000,
        },
      },
      {
        // `npm run test:reliability` only (not part of `npm test`): fuzzing, load, faults, secrets; prints its figures.
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          globalSetup: ['test/reliability/global-setup.ts'],
          env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
