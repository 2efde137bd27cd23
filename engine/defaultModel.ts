import { fileURLToPath } from 'node:url';

/** The package shipped with the app: models/hamburger-tiny at the repository root. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../models/hamburger-tiny', import.meta.url));
