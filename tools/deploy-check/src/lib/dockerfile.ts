export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  /** `FROM <image> [AS <name>]` */
  image: string;
  name?: string;
  instructions: Instruction[];
}

/**
 * A small Dockerfile reader: joins `\` continuations, drops comments and parser directives, and splits the
 * instructions into stages at each FROM. Enough to check what each stage does; not a full BuildKit parser
 * (no heredocs: the Dockerfile check refuses them).
 */
export function parseDockerfile(text: string): { preamble: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let buf = '';
  let start = 0;
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (buf === '' && /^\s*#/.test(line)) return;
    if (buf !== '' && /^\s*#/.test(line)) return; // comment lines inside a continuation are skipped by Docker
    if (buf === '') start = i + 1;
    if (line.endsWith('\\')) {
      buf += line.slice(0, -1) + ' ';
      return;
    }
    buf += line;
    const full = buf.trim();
    buf = '';
    if (full === '') return;
    const m = /^(\S+)\s*(.*)$/.exec(full);
    if (m) instructions.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: start });
  });
  const preamble: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ image: m?.[1] ?? ins.args, name: m?.[2], instructions: [] });
    } else if (stages.length === 0) preamble.push(ins);
    else stages[stages.length - 1].instructions.push(ins);
  }
  return { preamble, stages };
}

/** Expands `${NAME}` / `$NAME` with the given build args (ARG defaults). */
export function expandArgs(s: string, args: Record<string, string>): string {
  return s.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, a: string | undefined, b: string | undefined) => args[a ?? b ?? ''] ?? whole,
  );
}
