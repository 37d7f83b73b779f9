/** TEST SUPPORT ONLY: assertions about expected failures. */
import { expect } from 'vitest';
import { PinError } from '../../src/errors/errors.js';

/** The PinError `p` rejects with; fails the test when it resolves or rejects with something else. */
export async function failure(p: Promise<unknown>): Promise<PinError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PinError);
    return e as PinError;
  }
  throw new Error('expected a failure');
}
