// SPDX-License-Identifier: Apache-2.0
// The container image's file tree, laid out the way its Dockerfile's final stage would, without a
// container runtime: each COPY is done from what its stage holds (the build stage's tree is this
// checkout, built by scripts/setup.sh; a stage that only runs `npm ci` is run, preferring the
// npm cache), WORKDIR/ENV/USER/ENTRYPOINT are recorded, and commands then run from the layout
// alone: a private mount namespace hides the checkout and the process gets the image's user, its
// ENV and nothing of ours.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../support/repo';
import { aptInstalls, type Instruction, parseDockerfile, type Stage } from './dockerfile';

/** Where the base image (node:*-slim) has node. */
const IMAGE_NODE = '/usr/local/bin/node';
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ImageLayout {
  /** Host directory standing for the image's `/`. */
  readonly root: string;
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  /** `uid:gid` from USER, or undefined (root). */
  readonly user: string | undefined;
  readonly entrypoint: readonly string[];
  /** Debian packages the final stage installs. */
  readonly aptPackages: readonly string[];
  /** Host path of a file in the image. */
  file(imagePath: string): string;
  remove(): void;
}

/** Maps an absolute path of a stage's filesystem to the host path holding the same content. */
type StageFiles = (stagePath: string) => string;

function fail(ins: Instruction, why: string): never {
  throw new Error(`Dockerfile line ${ins.line}: ${ins.op} ${ins.text}: ${why}`);
}

/** `COPY . .` after `WORKDIR dir`: the checkout stands for dir, built in place by scripts/setup.sh. */
function checkoutStage(stage: Stage): StageFiles | undefined {
  let workdir = '/';
  for (const ins of stage.instructions) {
    if (ins.op === 'WORKDIR') workdir = path.posix.resolve(workdir, ins.args[0]);
    if (ins.op === 'COPY' && !ins.flags.from && ins.args.join(' ') === '. .') {
      const top = workdir;
      return (stagePath) => {
        const rel = path.posix.relative(top, stagePath);
        if (rel.startsWith('..') || path.posix.isAbsolute(rel))
          throw new Error(`${stagePath} is outside ${top}, where the checkout stands for stage ${stage.name ?? stage.base}`);
        return path.join(repoRoot(), rel);
      };
    }
  }
  return undefined;
}

/** A stage of WORKDIR, COPY from the context and `RUN npm ci ...`: run it in a scratch folder. */
function npmStage(stage: Stage, scratch: string): StageFiles | undefined {
  const runs = stage.instructions.filter((i) => i.op === 'RUN');
  if (runs.length === 0 || !runs.every((r) => /^npm ci(\s|$)/.test(r.text))) return undefined;
  const dir = fs.mkdtempSync(path.join(scratch, `stage-${stage.name ?? 'anon'}-`));
  let workdir = '/';
  for (const ins of stage.instructions) {
    if (ins.op === 'WORKDIR') workdir = path.posix.resolve(workdir, ins.args[0]);
    else if (ins.op === 'COPY') {
      if (ins.flags.from) fail(ins, 'an npm stage copies from the build context only');
      copy(ins, (p) => path.join(repoRoot(), p), path.join(dir, workdir), ins.args, false);
    } else if (ins.op === 'RUN') {
      // The stage's own command; the npm cache holds the packages since setup's npm ci.
      execFileSync('sh', ['-c', `${ins.text} --prefer-offline --loglevel=error`], {
        cwd: path.join(dir, workdir),
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 180000,
      });
    } else if (ins.op !== 'ENV') fail(ins, 'not expected in an npm stage');
  }
  return (stagePath) => path.join(dir, stagePath);
}

/** Docker's COPY: a directory's contents go into dest; a file goes to dest, or into it if dest ends with '/'. */
function copy(ins: Instruction, source: (p: string) => string, destBase: string, args: readonly string[], fromStage: boolean): void {
  if (args.length < 2) fail(ins, 'needs a source and a destination');
  const sources = args.slice(0, -1);
  const destArg = args[args.length - 1];
  const intoDir = destArg.endsWith('/') || sources.length > 1;
  const dest = path.join(destBase, destArg);
  for (const src of sources) {
    if (/[*?[]/.test(src)) fail(ins, 'wildcards are not supported by the image test');
    const from = source(fromStage ? path.posix.resolve('/', src) : path.posix.normalize(src));
    if (!fs.existsSync(from)) fail(ins, `${src} does not exist in the stage (looked at ${from})`);
    const target = fs.statSync(from).isDirectory() ? dest : intoDir ? path.join(dest, path.basename(from)) : dest;
    fs.mkdirSync(fs.statSync(from).isDirectory() ? target : path.dirname(target), { recursive: true });
    fs.cpSync(from, target, { recursive: true });
  }
}

/** Lays out the final stage of `dockerfile` (repository-relative) into a fresh folder under the OS temp dir. */
export function layOutImage(dockerfile: string): ImageLayout {
  const stages = parseDockerfile(fs.readFileSync(path.join(repoRoot(), dockerfile), 'utf8'));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'quilkin-image-'));
  // Readable by the image's non-root user too.
  fs.chmodSync(scratch, 0o755);
  const root = path.join(scratch, 'rootfs');
  try {
    const finalStage = stages[stages.length - 1];
    const files = new Map<string, StageFiles>();
    const stageFiles = (ins: Instruction, name: string): StageFiles => {
      const known = files.get(name);
      if (known) return known;
      const stage = stages.slice(0, -1).find((s) => s.name === name);
      if (!stage) fail(ins, `no earlier stage named ${name}`);
      const made = checkoutStage(stage) ?? npmStage(stage, scratch);
      if (!made) fail(ins, `stage ${name} is neither the checkout (COPY . .) nor an npm ci stage`);
      files.set(name, made);
      return made;
    };
    let workdir = '/';
    let user: string | undefined;
    let entrypoint: string[] | undefined;
    const env: Record<string, string> = {};
    fs.mkdirSync(root);
    for (const ins of finalStage.instructions) {
      switch (ins.op) {
        case 'WORKDIR':
          workdir = path.posix.resolve(workdir, ins.args[0]);
          fs.mkdirSync(path.join(root, workdir), { recursive: true });
          break;
        case 'COPY':
          if (ins.flags.from) copy(ins, stageFiles(ins, ins.flags.from), path.join(root, workdir), ins.args, true);
          else copy(ins, (p) => path.join(repoRoot(), p), path.join(root, workdir), ins.args, false);
          break;
        case 'ENV':
          for (const pair of ins.args) {
            const eq = pair.indexOf('=');
            if (eq <= 0) fail(ins, 'only ENV key=value is supported');
            env[pair.slice(0, eq)] = pair.slice(eq + 1);
          }
          break;
        case 'USER':
          user = ins.args[0] === 'root' || ins.args[0] === '0' ? undefined : ins.args[0];
          break;
        case 'ENTRYPOINT':
          if (!ins.text.startsWith('[')) fail(ins, 'use the JSON form (signals reach node directly)');
          entrypoint = [...ins.args];
          break;
        case 'RUN':
          // The final stage may only install Debian packages; this machine must have them.
          if (aptInstalls({ ...finalStage, instructions: [ins] }).length === 0) fail(ins, 'the final stage may only apt-get install');
          break;
        case 'EXPOSE':
          break;
        default:
          fail(ins, 'not expected in the final stage');
      }
    }
    if (!entrypoint) throw new Error(`${dockerfile}: the final stage has no ENTRYPOINT`);
    const resolvedEntrypoint = entrypoint;
    return {
      root,
      workdir,
      env,
      user,
      entrypoint: resolvedEntrypoint,
      aptPackages: aptInstalls(finalStage),
      file: (imagePath) => path.join(root, imagePath),
      remove: () => fs.rmSync(scratch, { recursive: true, force: true }),
    };
  } catch (err) {
    fs.rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
}

/** Host argv that runs the image's ENTRYPOINT with `args`, as the image would: env cleared to the
 *  image's ENV, the checkout hidden under an empty tmpfs in a private mount namespace, node from
 *  the base image's place, and the image's USER unless `asRoot` (proxy xdp runs as root). */
export function imageCommand(layout: ImageLayout, args: readonly string[], options: { asRoot?: boolean } = {}): string[] {
  const [program, ...rest] = layout.entrypoint;
  if (program !== 'node' && program !== IMAGE_NODE) throw new Error(`ENTRYPOINT starts with ${program}; the image test knows only the base image's node`);
  const node = layout.file(IMAGE_NODE);
  fs.mkdirSync(path.dirname(node), { recursive: true });
  if (!fs.existsSync(node)) fs.writeFileSync(node, '', { mode: 0o755 });
  const entry = rest.map((a) => (a.startsWith('/') ? layout.file(a) : a));
  const user = !options.asRoot && layout.user ? layout.user.split(':') : undefined;
  const asUser = user ? ['setpriv', `--reuid=${user[0]}`, `--regid=${user[1] ?? user[0]}`, '--clear-groups', '--'] : [];
  const envPairs = Object.entries({ PATH: IMAGE_PATH, HOME: '/nonexistent', ...layout.env }).map(([k, v]) => `${k}=${v}`);
  // $1 = this node binary, bound over the image's node path before the checkout (which may hold
  // it, in .cache/) disappears under the tmpfs.
  const script = 'mount --bind "$1" "$2" && mount -t tmpfs -o size=16k,mode=0755 quilkin-image-test "$3" && shift 3 && exec "$@"';
  return [
    'env',
    '-i',
    ...envPairs,
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    script,
    'sh',
    process.execPath,
    node,
    repoRoot(),
    ...asUser,
    node,
    ...entry,
    ...args,
  ];
}
