import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: playwright-core drives it; nothing downloads a browser of its own. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Installs Debian's chromium and chromium-driver when they are missing (the test setup's job on a fresh machine;
 * needs root, as CI has), or says how to.
 */
export const ensureChromium = (): void => {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium and chromium-driver (sudo apt-get install chromium chromium-driver) or set CHROMIUM_PATH.`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium', 'chromium-driver'], { env, stdio: 'ignore' });
};

/**
 * Headless Chromium with a fresh profile (playwright makes a new, empty one per launch), and the flags that keep it
 * off the network (this machine's closed network refuses its background connections).
 */
export const launchChromium = async (): Promise<Browser> => {
  ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
};
