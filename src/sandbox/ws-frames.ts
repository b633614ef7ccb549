/**
 * Codec for the long-connection wire format (as the Node SDK's WSClient
 * speaks it; "使用长连接接收事件"): every binary
 * WebSocket message is one proto2 `pbbp2.Frame`. The schema is declared here
 * with `Root.fromJSON` so the stand-in does not depend on the SDK's private
 * generated code.
 */
import protobuf from 'protobufjs';

export interface FrameHeader {
  key: string;
  value: string;
}

export interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  /** 0 = control (ping/pong), 1 = data (events, callbacks, ACKs). */
  method: number;
  headers: FrameHeader[];
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Uint8Array;
  LogIDNew?: string;
}

export const FrameMethod = { control: 0, data: 1 } as const;

const root = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: {
          fields: {
            key: { rule: 'required', type: 'string', id: 1 },
            value: { rule: 'required', type: 'string', id: 2 },
          },
        },
        Frame: {
          fields: {
            SeqID: { rule: 'required', type: 'uint64', id: 1 },
            LogID: { rule: 'required', type: 'uint64', id: 2 },
            service: { rule: 'required', type: 'int32', id: 3 },
            method: { rule: 'required', type: 'int32', id: 4 },
            headers: { rule: 'repeated', type: 'Header', id: 5 },
            payloadEncoding: { type: 'string', id: 6 },
            payloadType: { type: 'string', id: 7 },
            payload: { type: 'bytes', id: 8 },
            LogIDNew: { type: 'string', id: 9 },
          },
        },
      },
    },
  },
});

const FrameType = root.lookupType('pbbp2.Frame');

export function encodeFrame(frame: Frame): Buffer {
  // The decoder on the other side throws when a required field is absent, so
  // the four numeric fields and every header key/value are always written.
  const msg = FrameType.fromObject({
    SeqID: frame.SeqID,
    LogID: frame.LogID,
    service: frame.service,
    method: frame.method,
    headers: frame.headers.map((h) => ({ key: h.key, value: h.value })),
    ...(frame.payloadEncoding !== undefined ? { payloadEncoding: frame.payloadEncoding } : {}),
    ...(frame.payloadType !== undefined ? { payloadType: frame.payloadType } : {}),
    ...(frame.payload !== undefined ? { payload: frame.payload } : {}),
    ...(frame.LogIDNew !== undefined ? { LogIDNew: frame.LogIDNew } : {}),
  });
  return Buffer.from(FrameType.encode(msg).finish());
}

export function decodeFrame(bytes: Uint8Array): Frame {
  const msg = FrameType.decode(bytes);
  // longs: Number — protobufjs may hand back Long objects for uint64 when the
  // `long` package is present; the protocol only ever uses small values.
  const obj = FrameType.toObject(msg, { longs: Number, defaults: false }) as {
    SeqID?: number;
    LogID?: number;
    service?: number;
    method?: number;
    headers?: FrameHeader[];
    payloadEncoding?: string;
    payloadType?: string;
    payload?: Uint8Array;
    LogIDNew?: string;
  };
  const frame: Frame = {
    SeqID: Number(obj.SeqID ?? 0),
    LogID: Number(obj.LogID ?? 0),
    service: obj.service ?? 0,
    method: obj.method ?? 0,
    headers: (obj.headers ?? []).map((h) => ({ key: h.key, value: h.value })),
  };
  if (obj.payloadEncoding !== undefined) frame.payloadEncoding = obj.payloadEncoding;
  if (obj.payloadType !== undefined) frame.payloadType = obj.payloadType;
  if (obj.payload !== undefined) frame.payload = obj.payload;
  if (obj.LogIDNew !== undefined) frame.LogIDNew = obj.LogIDNew;
  return frame;
}

export function headerValue(frame: Frame, key: string): string | undefined {
  return frame.headers.find((h) => h.key === key)?.value;
}
