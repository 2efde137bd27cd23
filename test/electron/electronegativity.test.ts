// Doyensec's Electron auditor (@doyensec/electronegativity) on the Electron side, offline: the
// main process and preload (electron/) and the page's HTML with its CSP (renderer/index.html),
// assuming Electron 40.8.5, TypeScript parsed. Any finding above informational fails the test
// unless docs/app.md ("Electronegativity: accepted findings") names its check and file with
// the reason it stands; a row there that no longer matches a finding fails it too.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ELECTRON_VERSION = '40.8.5';
const ACCEPTED_HEADING = '### Electronegativity: accepted findings';

const resultSchema = z.object({
  errors: z.array(z.object({ file: z.string(), message: z.string(), tolerable: z.boolean() })),
  issues: z.array(
    z.object({
      id: z.string(),
      file: z.string(),
      location: z.object({ line: z.number(), column: z.number() }),
      severity: z.object({ name: z.enum(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH']) }),
      manualReview: z.boolean(),
    }),
  ),
});
type Finding = z.infer<typeof resultSchema>['issues'][number];

/** The library's documented programmatic entry (its CLI needs a commander version this tree does not hoist). */
const electronegativity = createRequire(import.meta.url)('@doyensec/electronegativity') as (options: Record<string, unknown>) => Promise<unknown>;

/**
 * The scanned copy: electron/ and renderer/index.html, with JavaScript files (the .mjs scripts)
 * renamed .ts: the auditor skips .mjs, and with the TypeScript parser it cannot parse .js.
 * Returns the copy's folder and, per scanned file, its name in the repository.
 */
function scannedCopy(): { folder: string; original: Map<string, string> } {
  const folder = mkdtempSync(path.join(tmpdir(), 'electronegativity-'));
  cpSync(path.join(ROOT, 'electron'), path.join(folder, 'electron'), { recursive: true });
  mkdirSync(path.join(folder, 'renderer'));
  cpSync(path.join(ROOT, 'renderer/index.html'), path.join(folder, 'renderer/index.html'));
  const original = new Map<string, string>();
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const name = path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    const scanned = name.replace(/\.[cm]?js$/, '.ts');
    if (scanned !== name) {
      expect(existsSync(path.join(folder, scanned)), `${scanned} is already there beside ${name}`).toBe(false);
      renameSync(path.join(folder, name), path.join(folder, scanned));
    }
    original.set(scanned, name);
  }
  return { folder, original };
}

/** "check file" for each row of the accepted-findings table in docs/app.md. */
function acceptedFindings(): string[] {
  const lines = readFileSync(path.join(ROOT, 'docs/app.md'), 'utf8').split('\n');
  const start = lines.indexOf(ACCEPTED_HEADING);
  expect(start, `docs/app.md has no "${ACCEPTED_HEADING}" section`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('#'));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .map((line) => /^\| `([A-Z_]+)` \| `([^`]+)` \| .+ \|$/.exec(line))
    .filter((match) => match !== null)
    .map(([, check, file]) => `${check} ${file}`);
}

let copy: ReturnType<typeof scannedCopy>;
beforeAll(() => {
  copy = scannedCopy();
});
afterAll(() => rmSync(copy.folder, { recursive: true, force: true }));

describe('electronegativity', () => {
  it('finds nothing above informational that docs/app.md does not answer', async () => {
    const started = Date.now();
    const result = resultSchema.parse(
      await electronegativity({
        input: copy.folder,
        isRelative: true,
        electronVersionOverride: ELECTRON_VERSION,
        parserPlugins: ['typescript'],
        // It asks GitHub for newer Electron releases: network, and about package.json (not scanned).
        excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
      }),
    );
    console.log(`electronegativity: ${result.issues.length} findings in ${Date.now() - started} ms`);
    // A file it cannot parse is a file it did not check.
    expect(result.errors).toEqual([]);
    const shown = (finding: Finding) => `${finding.id} ${copy.original.get(finding.file) ?? finding.file}`;
    const found = [...new Set(result.issues.filter((finding) => finding.severity.name !== 'INFORMATIONAL').map(shown))].sort();
    expect(found).toEqual(acceptedFindings().sort());
  });

  it('is not silenced inside the scanned files', () => {
    for (const name of copy.original.keys()) {
      expect(readFileSync(path.join(copy.folder, name), 'utf8'), name).not.toMatch(/eng-disable/i);
    }
  });
});
