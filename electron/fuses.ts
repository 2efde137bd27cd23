// The Electron fuses of a packaged build: switches compiled into the Electron binary that turn
// off what this app never uses, so that no environment variable, command-line flag or swapped
// file can turn the app into something else. Written into a packaged binary by
// electron/applyFuses.ts; `strictlyRequireAllFuses` makes a fuse that a later Electron adds
// fail the script until it is stated here.
import { FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses';

export const FUSES = {
  version: FuseVersion.V1,
  strictlyRequireAllFuses: true,
  // ELECTRON_RUN_AS_NODE would make the signed binary a plain Node.js for anyone who starts it
  // (the engine runs in worker threads, not in forked processes).
  [FuseV1Options.RunAsNode]: false,
  // Cookies on disk encrypted with the OS keychain, as Chrome does (the app sets none today).
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS (--require, --import) would run foreign code in the main process.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  // --inspect and SIGUSR1 would open a debugger on the main process.
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // The app's code is resources/app.asar and nothing else, checked against the hash the
  // packager embeds (macOS and Windows; Electron refuses to start when the hash is missing or
  // wrong; Linux has no such check).
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // No V8 snapshot of our own.
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  // The page comes from app://, so file:// keeps no powers beyond a browser's.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  // Electron's default: V8 traps out-of-bounds WebAssembly accesses with guard pages (off
  // would only swap in explicit bounds checks).
  [FuseV1Options.WasmTrapHandlers]: true,
} satisfies FuseV1Config;
