// The CLI's JSON names its fields in snake_case (docs/cli.md). Most of them are an engine
// field under its camelCase name converted, so they are listed once, by that name.

/** `baselineTopProb` -> `baseline_top_prob`. */
function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** The named fields of `source`, in the order named, each under its snake_case name. */
export function snakeCaseFields<T extends object, K extends keyof T & string>(source: T, names: readonly K[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [snakeCase(name), source[name]]));
}
