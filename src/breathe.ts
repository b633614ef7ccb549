/** Lets other work (a reply, a click, the bot's events) run between the steps of a long computation. */
export const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));
