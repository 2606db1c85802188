// What the decoder benchmark loads: the decoder as `npx vmm` runs it, bundled by esbuild.
export { decode } from '../src/x86/decoder.js';
export { DecodeStatus, DecodedInsn } from '../src/x86/decoded.js';
