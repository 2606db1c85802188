// Records the reference output of the guests from QEMU into guests/golden/ID.out and ID.status.
// Run after changing a guest: `npm run build:guests && npm run record:guests [ID...]`, review the
// diff of guests/golden/, commit. Refuses to record a run that did not end through port 0xF4 or
// whose value differs from the catalog's expected status. Lines listed as QEMU quirks in the catalog
// are recorded as the SDM's outcome, not QEMU's.
import { writeFileSync } from 'node:fs';
import { guestRuns } from '../test/guests/catalog.js';
import { applyQemuQuirks, describeEnd, qemuMissing, runQemu } from '../test/guests/qemu.js';

const wanted = process.argv.slice(2);
const missing = qemuMissing();
if (missing) {
  console.error(`record-golden: ${missing}`);
  process.exit(1);
}
let failed = false;
for (const g of guestRuns) {
  if (wanted.length > 0 && !wanted.includes(g.id)) continue;
  const r = await runQemu(g.image, g.cmdline, g.timeoutMs);
  if (r.end !== 'exit' || r.status !== g.expectedStatus) {
    console.error(`record-golden: ${g.id}: ${describeEnd(r)}, expected value ${g.expectedStatus}; not recorded`);
    process.stderr.write(r.stdout);
    failed = true;
    continue;
  }
  const { out, missing: notSeen } = applyQemuQuirks(r.stdout, g.qemuQuirks);
  if (notSeen.length > 0) {
    console.error(`record-golden: ${g.id}: QEMU no longer prints these known-quirk lines:\n  ${notSeen.join('\n  ')}`);
    failed = true;
    continue;
  }
  writeFileSync(g.goldenOut, out);
  writeFileSync(g.goldenStatus, `${r.status}\n`);
  console.log(`recorded ${g.id} (${r.stdout.length} bytes, value ${r.status})`);
}
process.exit(failed ? 1 : 0);
