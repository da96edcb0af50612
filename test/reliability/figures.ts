import { appendFileSync } from 'node:fs';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    figuresFile: string;
  }
}

/** One part's figures (name → number or text), printed together when the suite ends (see global-setup.ts). */
export const report = (part: string, figures: Record<string, number | string>): void => {
  appendFileSync(inject('figuresFile'), `${JSON.stringify({ part, figures })}\n`);
};
