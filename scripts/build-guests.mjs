// Builds the guest kernels: NASM (and gcc -m32 for C guests) into objects, GNU ld with
// guests/lib/link.ld into Multiboot v1 ELF images guests/bin/NAME.elf. The output is reproducible
// byte for byte: relative source paths (they end up in the symbol table), no build ids, no debug
// info, no timestamps. test/guests/reproducible.test.ts rebuilds into a temp dir and compares.
//
// usage: node scripts/build-guests.mjs [--out DIR] [--obj DIR] [--quiet] [NAME...]
//   A guest is guests/src/NAME.asm, guests/src/NAME.c, or a directory guests/src/NAME/ of .asm/.c
//   files. Every guest links with every guests/lib/*.asm object and libgcc.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const GUESTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'guests');

export const CFLAGS = [
  '-m32', '-march=i686', '-O2', '-std=gnu11', '-ffreestanding', '-fno-pic', '-fno-pie',
  '-fno-stack-protector', '-fno-asynchronous-unwind-tables', '-fno-unwind-tables',
  '-fcf-protection=none', '-mgeneral-regs-only', '-nostdlib', '-Wall', '-Wextra', '-Werror',
  '-Ilib',
];
export const NASMFLAGS = ['-f', 'elf32', '-Ilib/', '-Werror'];
export const LDFLAGS = ['-m', 'elf_i386', '-T', 'lib/link.ld', '--build-id=none', '-nostdlib', '-n'];

class BuildError extends Error {}

function need(tool, args, pkg) {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new BuildError(`build-guests: ${tool} is missing or broken (install the Debian package ${pkg})`);
  }
  return r.stdout;
}

/** The i386 libgcc (for __udivdi3 and friends); a 64-bit-only gcc has none. */
function libgcc() {
  const path = execFileSync('gcc', ['-m32', '-print-libgcc-file-name'], { encoding: 'utf8' }).trim();
  const probe = spawnSync('gcc', ['-m32', '-x', 'c', '-', '-c', '-o', '/dev/null'], { input: '' });
  if (probe.status !== 0 || !existsSync(path) || !/\/32\/|i[3-6]86/.test(path)) {
    throw new BuildError(`build-guests: no 32-bit libgcc (${path}); install gcc-multilib`);
  }
  return path;
}

function run(tool, args) {
  const r = spawnSync(tool, args, { cwd: GUESTS, encoding: 'utf8' });
  if (r.error) throw new BuildError(`build-guests: cannot run ${tool}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new BuildError(`build-guests: ${tool} ${args.join(' ')}\n${r.stdout}${r.stderr}`);
  }
}

/** Source files (relative to guests/) of one guest, in a stable order. */
function guestSources(name) {
  const dir = join(GUESTS, 'src', name);
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.asm') || f.endsWith('.c'))
      .sort()
      .map((f) => `src/${name}/${f}`);
  }
  for (const ext of ['.asm', '.c']) {
    if (existsSync(join(GUESTS, 'src', name + ext))) return [`src/${name}${ext}`];
  }
  throw new BuildError(`build-guests: no guest named ${name} in guests/src`);
}

export function allGuestNames() {
  return readdirSync(join(GUESTS, 'src'))
    .filter((f) => !f.startsWith('.') && !f.endsWith('.h') && !f.endsWith('.inc'))
    .map((f) => f.replace(/\.(asm|c)$/, ''))
    .sort();
}

function compile(src, obj) {
  mkdirSync(dirname(obj), { recursive: true });
  if (src.endsWith('.asm')) run('nasm', [...NASMFLAGS, '-o', obj, src]);
  else run('gcc', [...CFLAGS, '-c', '-o', obj, src]);
}

/** Builds the named guests (all when empty) into outDir; returns the image paths. */
export function buildGuests({ outDir = join(GUESTS, 'bin'), objDir = join(GUESTS, 'build'), names = [], log = () => {} } = {}) {
  need('nasm', ['-v'], 'nasm');
  need('ld', ['-v'], 'binutils');
  const wanted = names.length ? names : allGuestNames();
  const needsGcc = wanted.some((n) => guestSources(n).some((s) => s.endsWith('.c')));
  const libgccPath = needsGcc ? (need('gcc', ['--version'], 'gcc'), libgcc()) : undefined;
  outDir = resolve(outDir);
  objDir = resolve(objDir);
  mkdirSync(outDir, { recursive: true });

  const libObjs = readdirSync(join(GUESTS, 'lib'))
    .filter((f) => f.endsWith('.asm'))
    .sort()
    .map((f) => {
      const obj = join(objDir, 'lib', f.replace(/\.asm$/, '.o'));
      compile(`lib/${f}`, obj);
      return obj;
    });

  const images = [];
  for (const name of wanted) {
    const objs = guestSources(name).map((src) => {
      const obj = join(objDir, name, src.split('/').pop().replace(/\.(asm|c)$/, '.o'));
      compile(src, obj);
      return obj;
    });
    const image = join(outDir, `${name}.elf`);
    run('ld', [...LDFLAGS, '-o', image, ...objs, ...libObjs, ...(libgccPath ? [libgccPath] : [])]);
    log(`built ${name}.elf`);
    images.push(image);
  }
  return images;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = { names: [], log: (m) => console.log(m) };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--out') opt.outDir = args[++i];
    else if (a === '--obj') opt.objDir = args[++i];
    else if (a === '--quiet') opt.log = () => {};
    else if (a.startsWith('-')) {
      console.error(`build-guests: unknown option ${a}`);
      process.exit(2);
    } else opt.names.push(a);
  }
  try {
    buildGuests(opt);
  } catch (e) {
    if (e instanceof BuildError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
}
