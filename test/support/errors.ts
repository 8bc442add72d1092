import { VouchError } from "../../src/core/errors.js";

/** The VouchError `run` throws. Fails the test when it returns, and rethrows any other error. */
export function thrownVouchError(run: () => unknown): VouchError {
  try {
    run();
  } catch (err) {
    if (err instanceof VouchError) return err;
    throw err;
  }
  throw new Error("expected a VouchError");
}

/** The VouchError the promise `run` returns rejects with; the async twin of thrownVouchError. */
export async function rejectedVouchError(run: () => Promise<unknown>): Promise<VouchError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof VouchError) return err;
    throw err;
  }
  throw new Error("expected a VouchError");
}
