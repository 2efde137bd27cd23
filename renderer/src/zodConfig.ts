// zod compiles its object parsers with `new Function` unless told not to. The page's CSP
// forbids eval, and the attempt alone is reported as a violation. Imported first by main.tsx,
// so it runs before any schema (engine/api.ts) is built.
import { z } from 'zod';

z.config({ jitless: true });
