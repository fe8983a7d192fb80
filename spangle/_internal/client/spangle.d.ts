// Types of spangle's browser client for rooms (`spangle client-js --types`).

/** Where the connection is: it only ends as "closed" by `close()` or a stop code. */
export type Status = "connecting" | "open" | "reconnecting" | "closed";

/** A member of the room, in any server process. */
export interface Member {
  id: string;
  meta: Record<string, unknown>;
}

export interface RoomOptions {
  /** Query parameters of every connection (a function is called on each). */
  params?: Record<string, string | number> | (() => Record<string, string | number>);
  /** Ask for this many past messages on the first connection (`history=`). */
  history?: number;
  /** WebSocket subprotocols to offer. */
  protocols?: string | string[];
  /** First reconnection delay in ms (default 500); doubles on each failure. */
  minDelay?: number;
  /** Longest reconnection delay in ms (default 10000). */
  maxDelay?: number;
  /** Share of the delay taken off at random, 0 to 1 (default 0.5). */
  jitter?: number;
  /** Sends kept while offline at most (default 1000). */
  maxQueue?: number;
  /** Close codes after which the client stops (default 1003, 1007, 1008, 1009). */
  stopCodes?: number[];
  /** A WebSocket class to use instead of the global one. */
  WebSocket?: new (url: string, protocols?: string | string[]) => WebSocket;
  /** A source of numbers in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
}

export interface StatusDetail {
  /** The close code that ended the last connection. */
  code?: number;
  /** Milliseconds until the next attempt, when reconnecting. */
  delay?: number;
}

export interface RoomEvents {
  /** A channel message; `id` is null when the server keeps no history. */
  message: (data: string | Uint8Array, id: string | null, channel: string) => void;
  /** The whole presence list, after each change. */
  presence: (members: Member[]) => void;
  /** Messages after `since` were lost: the history window moved past it. */
  missed: (since: string) => void;
  /** The connection's status changed. */
  status: (status: Status, detail: StatusDetail) => void;
  /** Any other frame the server sent (parsed JSON, or text, or bytes). */
  frame: (frame: unknown) => void;
}

export declare class Room {
  constructor(url: string, options?: RoomOptions);
  readonly url: string;
  readonly status: Status;
  /** The id of the last message received: resumed from on reconnection. */
  readonly lastId: string | null;
  /** This connection's own member id, once the presence list came. */
  readonly me: string | null;
  readonly members: Member[];
  on<K extends keyof RoomEvents>(event: K, listener: RoomEvents[K]): () => void;
  send(data: string | ArrayBuffer | ArrayBufferView | object): boolean;
  close(code?: number, reason?: string): void;
}

export declare function joinRoom(url: string, options?: RoomOptions): Room;

export declare function backoffDelay(
  attempt: number,
  minDelay: number,
  maxDelay: number,
  jitter: number,
  random?: () => number,
): number;

export declare function compareIds(a: string, b: string): number;
