import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LogService } from "../api/log-service.js";
import { openSqliteLogStore } from "../store/sqlite/log-store.js";
import { ecdsaKey, hashedRekordProposal } from "../../test/support/rekor-proposals.js";

const work = mkdtempSync(join(tmpdir(), "vouch-queue-relay-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("two processes' log services on one SQLite store", () => {
  it("the replica without the lease hands submissions to the sequencer through the queue, and takes over when it goes", async () => {
    const file = join(work, "log.sqlite");
    const privateKey = ecdsaKey();
    const submitter = ecdsaKey();
    const start = async () => LogService.start({ store: await openSqliteLogStore(file), privateKey, name: "127.0.0.1", leaseRetryMs: 50, maxDelayMs: 2 });
    const first = await start();
    const second = await start();
    try {
      expect([first.sequencing, second.sequencing]).toEqual([true, false]);
      const viaSequencer = await first.log.submit(hashedRekordProposal(submitter, "one"));
      const viaReplica = await second.log.submit(hashedRekordProposal(submitter, "two"));
      expect([viaSequencer.entry.logIndex, viaReplica.entry.logIndex]).toEqual([0, 1]);
      expect(viaReplica.entry.verification.inclusionProof.treeSize).toBeGreaterThanOrEqual(2);
      // The same entry through the replica again: found, not queued twice.
      const again = await second.log.submit(JSON.parse(Buffer.from(viaReplica.entry.body, "base64").toString()));
      expect(again).toMatchObject({ duplicate: true, entry: { logIndex: 1 } });

      await first.close();
      const deadline = Date.now() + 5000;
      while (!second.sequencing && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(second.sequencing).toBe(true);
      expect((await second.log.submit(hashedRekordProposal(submitter, "three"))).entry.logIndex).toBe(2);
    } finally {
      await first.close().catch(() => {});
      await second.close();
    }
  });
});
