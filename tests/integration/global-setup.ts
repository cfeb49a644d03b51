import type { TestProject } from 'vitest/node';
import { ensureLab, type LabAvailability } from '../support/lab';

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabAvailability;
  }
}

/** Starts the lab once for all integration files and hands its description (or why not) to them. */
export default function setup(project: TestProject): void {
  const availability = ensureLab();
  if (!availability.available) console.warn(`integration: SKIPPED — ${availability.reason}`);
  project.provide('lab', availability);
}
