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

/**
 * The VouchError `promise` rejects with, checked to be what a user would see on stderr: a VouchError (not a bare
 * Error or a TypeError) whose message is one line.
 */
export async function rejectedOneLine(promise: Promise<unknown>): Promise<VouchError> {
  const error = await rejectedVouchError(() => promise);
  if (error.message.includes("\n")) throw new Error(`the message is more than one line: ${error.message}`);
  return error;
}
