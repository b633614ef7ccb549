/**
 * The long connection (使用长连接接收事件 / 使用长连接接收回调): the SDK's WSClient,
 * plus the card callbacks it would drop.
 *
 * Feishu pushes `card.action.trigger` on the long connection in data frames whose
 * `type` header is "event" for some apps and "card" for others. WSClient in
 * @larksuiteoapi/node-sdk 1.74.0 (pinned in package.json) only handles "event"
 * frames and returns early on any other type: no dispatch, no ACK, no log. The
 * teacher's click then spins and fails with 200341 (timeout), and nothing is
 * stored. This class answers "card" frames exactly as the SDK answers "event"
 * frames, and logs any other data frame it leaves unanswered. Reconnects,
 * ping/pong, getConnectionStatus() and close() are the SDK's, untouched.
 */
import type * as Lark from '@larksuiteoapi/node-sdk';
import { lark } from './sdk.js';
import { sdkLogger, type Logger } from '../logger.js';

/** A decoded long-connection frame (pbbp2.Frame) as the SDK passes it around. */
interface Frame {
  headers: Array<{ key: string; value: string }>;
  payload?: Uint8Array;
  [field: string]: unknown;
}

/**
 * The private members of SDK 1.74.0's WSClient this class uses. TypeScript
 * declares them private, so they are reached here and nowhere else, through
 * `wsClientInternals`, which checks that they exist: an SDK that reshapes
 * them fails at construction (and in test/feishu/long-connection.test.ts)
 * instead of silently dropping clicks again.
 */
interface WSClientInternals {
  /** Called by the socket's message listener for every data frame; handles `type:"event"` only. */
  handleEventData(frame: Frame): Promise<void>;
  /** Encodes a frame and sends it on the current socket. */
  sendMessage(frame: Frame): void;
  /** Reassembles the `sum`/`seq` fragments of one `message_id`: the parsed JSON once all are in, else null. */
  dataCache: { mergeData(p: { message_id: string; sum: number; seq: number; trace_id: string; data: Uint8Array | undefined }): unknown };
}

export function wsClientInternals(client: object): WSClientInternals {
  const sdk = client as Partial<WSClientInternals>;
  if (typeof sdk.handleEventData !== 'function' || typeof sdk.sendMessage !== 'function' || typeof sdk.dataCache?.mergeData !== 'function') {
    throw new Error(
      '飞书 SDK 的 WSClient 内部结构与 1.74.0 不同，卡片回调会被丢弃；请按新版 SDK 核对 src/feishu/long-connection.ts ' +
        "(the SDK's WSClient no longer has handleEventData / sendMessage / dataCache.mergeData; re-check src/feishu/long-connection.ts)",
    );
  }
  return sdk as WSClientInternals;
}

type WSClientOptions = ConstructorParameters<typeof lark.WSClient>[0];

export type LongConnectionOptions = Omit<WSClientOptions, 'logger'> & { log: Logger };

const headersOf = (frame: Frame): Record<string, string> => Object.fromEntries(frame.headers.map((h) => [h.key, h.value]));

export class LongConnection extends lark.WSClient {
  private readonly log: Logger;
  private dispatcher: Lark.EventDispatcher | undefined;

  constructor({ log, ...options }: LongConnectionOptions) {
    super({ ...options, logger: sdkLogger(log) });
    this.log = log;
    const sdk = wsClientInternals(this);
    const handleEventFrame = sdk.handleEventData.bind(this);
    // An own property shadows the prototype's method; the socket listener calls `this.handleEventData`.
    sdk.handleEventData = (frame) => {
      const type = headersOf(frame).type;
      if (type === 'event') return handleEventFrame(frame);
      if (type === 'card') return this.answerCardFrame(sdk, frame);
      this.dropped(frame);
      return Promise.resolve();
    };
  }

  override start(params: { eventDispatcher: Lark.EventDispatcher }): Promise<void> {
    this.dispatcher = params.eventDispatcher;
    return super.start(params);
  }

  /**
   * What the SDK does for an "event" frame: reassemble the fragments, hand the
   * callback to the dispatcher, and ACK the last fragment by echoing it (its
   * `type:"card"` included) with `biz_rt` added and the payload
   * `{"code":200,"data":base64(JSON of the answer)}` — the toast and card the
   * client shows — or `{"code":500}` if the handler threw.
   */
  private async answerCardFrame(sdk: WSClientInternals, frame: Frame): Promise<void> {
    const { message_id: messageId = '', sum, seq, trace_id: traceId = '' } = headersOf(frame);
    let callback: unknown;
    try {
      callback = sdk.dataCache.mergeData({ message_id: messageId, sum: Number(sum), seq: Number(seq), trace_id: traceId, data: frame.payload });
    } catch (err) {
      this.log.error({ messageId, traceId, err: String(err) }, 'long connection: card callback fragments could not be merged; the click is not answered');
      return;
    }
    if (!callback) return; // more fragments to come
    const started = Date.now();
    const ack: { code: number; data?: string } = { code: 200 };
    try {
      const answer = await this.dispatcher?.invoke(callback, { needCheck: false });
      if (answer) ack.data = Buffer.from(JSON.stringify(answer)).toString('base64');
    } catch (err) {
      ack.code = 500;
      this.log.error({ messageId, traceId, err: String(err) }, 'long connection: card callback handler failed');
    }
    sdk.sendMessage({
      ...frame,
      headers: [...frame.headers, { key: 'biz_rt', value: String(Date.now() - started) }],
      payload: new TextEncoder().encode(JSON.stringify(ack)),
    });
  }

  /**
   * Neither an event nor a callback: left unanswered, as the SDK would (an
   * unacknowledged event is pushed again), but said out loud so an operator
   * can tell why something never arrived.
   */
  private dropped(frame: Frame): void {
    const { type, message_id: messageId, trace_id: traceId } = headersOf(frame);
    this.log.warn({ frameType: type ?? null, messageId, traceId }, 'long connection: dropped a data frame of a type the bot does not handle (no ACK sent)');
  }
}
