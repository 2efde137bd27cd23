// Where the engine's worker thread starts: the bundled worker a build wrote beside the host's
// own bundle, or (running from sources) the engine host's default TypeScript entry.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function engineWorkerUrl(bundled?: URL): URL | undefined {
  return bundled !== undefined && existsSync(fileURLToPath(bundled)) ? bundled : undefined;
}
