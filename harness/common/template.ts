/** Expands `{{name}}` and `{{a.b.c}}` in a string from a flat map of dotted names. Unknown names are an error. */
export function expandTemplate(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      throw new Error(
        `unknown template variable {{${name}}} in "${text}" (known: ${Object.keys(vars).sort().join(', ')})`,
      );
    }
    return value;
  });
}

export function expandArgv(argv: readonly string[], vars: Readonly<Record<string, string>>): string[] {
  return argv.map((a) => expandTemplate(a, vars));
}

export function expandRecord(
  record: Readonly<Record<string, string>>,
  vars: Readonly<Record<string, string>>,
) {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, expandTemplate(v, vars)]));
}
