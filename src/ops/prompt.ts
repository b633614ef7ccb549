import readline from 'node:readline';
import { Writable } from 'node:stream';

/** Questions asked in a terminal, or answered line by line from a pipe (scripts, tests). */
export interface Prompter {
  /** The trimmed answer; a secret is not echoed in a terminal. Rejects with InputEnded when input runs out. */
  ask(question: string, opts?: { secret?: boolean }): Promise<string>;
  close(): void;
}

export class InputEnded extends Error {
  constructor() {
    super('输入已结束，未完成设置 / input ended before setup finished');
    this.name = 'InputEnded';
  }
}

export function createPrompter(input: NodeJS.ReadableStream & { isTTY?: boolean }, output: NodeJS.WritableStream): Prompter {
  const terminal = Boolean(input.isTTY);
  let muted = false;
  // readline echoes what is typed through its output; muting it hides a secret as it is typed.
  const echo = new Writable({
    write(chunk, _enc, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  const rl = readline.createInterface({ input, output: echo, terminal });
  // In a terminal readline takes Ctrl+C for itself; it means "cancel setup", also while waiting for the QR code.
  rl.on('SIGINT', () => {
    output.write('\n');
    process.exit(130);
  });
  const lines = rl[Symbol.asyncIterator]();
  return {
    async ask(question, opts = {}) {
      rl.setPrompt(question);
      rl.prompt();
      muted = terminal && Boolean(opts.secret);
      try {
        const r = await lines.next();
        if (r.done) throw new InputEnded();
        return String(r.value).trim();
      } finally {
        // A terminal echoed the Enter key; a hidden answer or a piped one did not.
        if (muted || !terminal) output.write('\n');
        muted = false;
      }
    },
    close: () => rl.close(),
  };
}
