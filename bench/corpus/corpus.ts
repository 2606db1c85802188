// The real compiled i386 corpus shared by the decoder benchmark and the corpus differential test:
// gcc -m32 -O2 output of the project's C sources (guests/**/*.c and bench/corpus/src/*.c), and,
// when scripts/extract-libc-text.sh can fetch it, the .text of Debian's libc6:i386.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const LIBC_TEXT = join(tmpdir(), 'vtx-vmm-corpus', 'libc-text.bin');

export interface CodeBlob {
  name: string;
  bytes: Uint8Array;
}

function cSources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return cSources(p);
    return n.endsWith('.c') ? [p] : [];
  });
}

/** Whether `gcc -m32` can compile here (else the corpus is unavailable: say so loudly). */
export function gccM32Problem(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'gcc-m32-'));
  try {
    execFileSync('gcc', ['-m32', '-O2', '-c', '-x', 'c', '-', '-o', join(dir, 'probe.o')], { input: 'int f(int x){return x+1;}\n', stdio: ['pipe', 'ignore', 'pipe'] });
    return null;
  } catch (e) {
    return `gcc -m32 is not usable: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Compiles every C source with gcc -m32 -O2 and returns each object's .text. A source that does
 *  not compile here is left out with a warning (the guests' own build reports its errors). */
export function compiledCorpus(): CodeBlob[] {
  const sources = [...cSources(join(ROOT, 'guests')), ...cSources(join(ROOT, 'bench/corpus/src'))];
  const dir = mkdtempSync(join(tmpdir(), 'decoder-corpus-'));
  try {
    return sources.flatMap((src, i) => {
      const obj = join(dir, `${i}.o`);
      const bin = join(dir, `${i}.bin`);
      try {
        execFileSync('gcc', ['-m32', '-O2', '-std=gnu11', '-ffreestanding', '-fno-pic', '-fno-asynchronous-unwind-tables',
          '-I', join(ROOT, 'guests/lib'), '-c', src, '-o', obj], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (e) {
        const why = e instanceof Error && 'stderr' in e ? String((e as { stderr: unknown }).stderr).split('\n')[0] : String(e);
        console.warn(`corpus: leaving out ${relative(ROOT, src)}: ${why}`);
        return [];
      }
      execFileSync('objcopy', ['-O', 'binary', '--only-section=.text', obj, bin]);
      return [{ name: relative(ROOT, src), bytes: new Uint8Array(readFileSync(bin)) }];
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** libc6:i386 .text if scripts/extract-libc-text.sh has produced it (or can now), else null. */
export function libcText(tryExtract: boolean): CodeBlob | null {
  if (!existsSync(LIBC_TEXT) && tryExtract) {
    try {
      execFileSync(join(ROOT, 'scripts/extract-libc-text.sh'), [LIBC_TEXT], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
    } catch {
      return null;
    }
  }
  return existsSync(LIBC_TEXT) ? { name: 'libc6:i386 .text', bytes: new Uint8Array(readFileSync(LIBC_TEXT)) } : null;
}
