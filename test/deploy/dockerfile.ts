// SPDX-License-Identifier: Apache-2.0
// A Dockerfile reader for the instructions deploy/image/Dockerfile uses: stages, and per stage its
// instructions with the arguments split the way Docker does (JSON form or words, `--flag=value`
// options first). Anything else is an error, so a new instruction cannot slip past the image test.

export type Op = 'FROM' | 'RUN' | 'ENV' | 'WORKDIR' | 'COPY' | 'USER' | 'EXPOSE' | 'ENTRYPOINT';

const OPS: ReadonlySet<string> = new Set<Op>(['FROM', 'RUN', 'ENV', 'WORKDIR', 'COPY', 'USER', 'EXPOSE', 'ENTRYPOINT']);

export interface Instruction {
  readonly op: Op;
  /** Line of the instruction in the file (1-based), for error messages. */
  readonly line: number;
  /** `--from=build` -> { from: 'build' }. */
  readonly flags: Readonly<Record<string, string>>;
  /** The remaining arguments (JSON array elements, or whitespace-separated words). */
  readonly args: readonly string[];
  /** The text after the flags, as written (RUN's shell command). */
  readonly text: string;
}

export interface Stage {
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Joins continuation lines and drops comments and blank lines: [line number, logical line]. */
function logicalLines(source: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  let pending = '';
  let start = 0;
  source.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === '' && (/^\s*#/.test(line) || line.trim() === '')) return;
    if (pending === '') start = i + 1;
    // Comment lines inside a continued instruction are skipped, as Docker does.
    if (pending !== '' && /^\s*#/.test(line)) return;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    out.push([start, (pending + line).trim()]);
    pending = '';
  });
  if (pending !== '') throw new Error(`line ${start}: continuation at end of file`);
  return out;
}

function parseInstruction(lineNo: number, text: string): Instruction {
  const match = /^(\S+)\s*(.*)$/.exec(text);
  if (!match) throw new Error(`line ${lineNo}: empty instruction`);
  const op = match[1].toUpperCase();
  if (!OPS.has(op)) throw new Error(`line ${lineNo}: ${op} is not an instruction the image test understands`);
  let rest = match[2];
  const flags: Record<string, string> = {};
  for (let flag = /^--([a-z-]+)=(\S+)\s*/.exec(rest); flag; flag = /^--([a-z-]+)=(\S+)\s*/.exec(rest)) {
    flags[flag[1]] = flag[2];
    rest = rest.slice(flag[0].length);
  }
  let args: string[];
  if (rest.startsWith('[')) {
    const parsed: unknown = JSON.parse(rest);
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`line ${lineNo}: ${op} JSON form must be an array of strings`);
    args = parsed;
  } else {
    args = rest.split(/\s+/).filter(Boolean);
  }
  return { op: op as Op, line: lineNo, flags, args, text: rest };
}

export function parseDockerfile(source: string): Stage[] {
  const stages: Array<{ base: string; name: string | undefined; instructions: Instruction[] }> = [];
  for (const [lineNo, text] of logicalLines(source)) {
    const ins = parseInstruction(lineNo, text);
    if (ins.op === 'FROM') {
      const [base, as, name, ...extra] = ins.args;
      if (!base || (as !== undefined && (as.toUpperCase() !== 'AS' || !name)) || extra.length > 0)
        throw new Error(`line ${lineNo}: FROM <image> [AS <name>] expected`);
      stages.push({ base, name, instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`line ${lineNo}: ${ins.op} before the first FROM`);
    stage.instructions.push(ins);
  }
  if (stages.length === 0) throw new Error('no FROM in the Dockerfile');
  return stages;
}

/** Debian packages a RUN line installs with apt-get install (options left out). */
export function aptInstalls(stage: Stage): string[] {
  return stage.instructions
    .filter((i) => i.op === 'RUN')
    .flatMap((i) => i.text.split('&&'))
    .map((cmd) => cmd.trim().split(/\s+/))
    .filter((words) => words[0] === 'apt-get' && words.includes('install'))
    .flatMap((words) => words.slice(words.indexOf('install') + 1).filter((w) => !w.startsWith('-')));
}
