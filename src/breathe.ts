/** Lets other work (a reply, a click, the bot's events) run between the steps of a long computation. */
export const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** When a turn was last given back through breatheEvery (performance.now()). */
let turnGivenAt = 0;

/**
 * A pause only once `sliceMs` of work has run since the last one: steps of a
 * millisecond or two (a digest's twenty aggregate reads) go in slices, so the
 * answer being computed is not made to wait behind whatever else has queued at
 * every step, and the event loop is still held little longer than a slice.
 */
export async function breatheEvery(sliceMs: number): Promise<void> {
  if (performance.now() - turnGivenAt < sliceMs) return;
  await breathe();
  turnGivenAt = performance.now();
}
