// spangle's browser client for rooms (`spangle client-js`): one WebSocket
// that reconnects with capped exponential backoff and jitter, resumes from
// the last message id it saw, keeps the presence list, and queues sends
// while offline. No dependency; an ES module.

const KNOWN = new Set(["message", "missed", "presence", "join", "leave"]);

/** The delay before reconnection attempt `attempt` (0 first), in ms. */
export function backoffDelay(attempt, minDelay, maxDelay, jitter, random = Math.random) {
  const capped = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 30));
  // Spread clients that lost the same server apart: [1 - jitter, 1] × delay.
  return Math.round(capped * (1 - jitter * random()));
}

/** Compare two message ids ("<ms>-<seq>"): negative, zero or positive. */
export function compareIds(a, b) {
  const [am, as] = a.split("-").map(Number);
  const [bm, bs] = b.split("-").map(Number);
  return am - bm || as - bs;
}

function decodeBase64(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

export class Room {
  constructor(url, options = {}) {
    this.url = url;
    this.options = {
      minDelay: 500,
      maxDelay: 10000,
      jitter: 0.5,
      maxQueue: 1000,
      stopCodes: [1003, 1007, 1008, 1009],
      ...options,
    };
    this.status = "connecting";
    this.lastId = null;
    this.me = null;
    this._members = new Map();
    this._listeners = {};
    this._queue = [];
    this._attempt = 0;
    this._timer = null;
    this._socket = null;
    this._closed = false;
    this._onOnline = () => this._retryNow();
    if (typeof window !== "undefined" && window.addEventListener) {
      window.addEventListener("online", this._onOnline);
    }
    this._open();
  }

  /** Everyone present, oldest join first. */
  get members() {
    return [...this._members.values()];
  }

  /** Call `listener` on each `event`; returns a function that stops it. */
  on(event, listener) {
    (this._listeners[event] ??= []).push(listener);
    return () => {
      this._listeners[event] = this._listeners[event].filter((l) => l !== listener);
    };
  }

  /** Send now, or once connected; objects go as JSON. False if the queue is full. */
  send(data) {
    const frame =
      typeof data === "string" || data instanceof ArrayBuffer || ArrayBuffer.isView(data)
        ? data
        : JSON.stringify(data);
    if (this._socket && this._socket.readyState === 1 && this._queue.length === 0) {
      this._socket.send(frame);
      return true;
    }
    if (this._queue.length >= this.options.maxQueue) return false;
    this._queue.push(frame);
    return true;
  }

  /** Close for good: no reconnection. */
  close(code = 1000, reason = "") {
    this._closed = true;
    clearTimeout(this._timer);
    if (typeof window !== "undefined" && window.removeEventListener) {
      window.removeEventListener("online", this._onOnline);
    }
    if (this._socket) this._socket.close(code, reason);
    this._setStatus("closed", { code });
  }

  _emit(event, ...args) {
    for (const listener of this._listeners[event] ?? []) listener(...args);
  }

  _setStatus(status, detail = {}) {
    this.status = status;
    this._emit("status", status, detail);
  }

  _address() {
    const base = typeof location !== "undefined" ? location.href : undefined;
    const url = new URL(this.url, base);
    if (url.protocol === "http:") url.protocol = "ws:";
    if (url.protocol === "https:") url.protocol = "wss:";
    const { params, history } = this.options;
    const extra = typeof params === "function" ? params() : params ?? {};
    for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, String(value));
    if (this.lastId !== null) url.searchParams.set("since", this.lastId);
    else if (history) url.searchParams.set("history", String(history));
    return url.toString();
  }

  _open() {
    const Socket = this.options.WebSocket ?? globalThis.WebSocket;
    const socket = new Socket(this._address(), this.options.protocols);
    socket.binaryType = "arraybuffer";
    this._socket = socket;
    socket.onopen = () => {
      this._attempt = 0;
      this._setStatus("open");
      while (this._queue.length && socket.readyState === 1) socket.send(this._queue.shift());
    };
    socket.onmessage = (event) => this._receive(event.data);
    socket.onclose = (event) => this._lost(socket, event.code);
  }

  _receive(data) {
    if (typeof data !== "string") {
      this._emit("frame", new Uint8Array(data));
      return;
    }
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      this._emit("frame", data);
      return;
    }
    if (frame === null || typeof frame !== "object" || !KNOWN.has(frame.type)) {
      this._emit("frame", frame);
      return;
    }
    this[`_on_${frame.type}`](frame);
  }

  _on_message(frame) {
    if (frame.id !== undefined) {
      // At least once: a message seen before a reconnection may come again.
      if (this.lastId !== null && compareIds(frame.id, this.lastId) <= 0) return;
      this.lastId = frame.id;
    }
    const data = frame.binary ? decodeBase64(frame.data) : frame.data;
    this._emit("message", data, frame.id ?? null, frame.channel);
  }

  _on_missed(frame) {
    this._emit("missed", frame.since);
  }

  _on_presence(frame) {
    this.me = frame.me;
    this._members = new Map(frame.members.map((member) => [member.id, member]));
    this._emit("presence", this.members);
  }

  _on_join(frame) {
    this._members.set(frame.member.id, frame.member);
    this._emit("presence", this.members);
  }

  _on_leave(frame) {
    this._members.delete(frame.member.id);
    this._emit("presence", this.members);
  }

  _lost(socket, code) {
    if (socket !== this._socket || this._closed) return;
    this._socket = null;
    if (this.options.stopCodes.includes(code)) {
      this._closed = true;
      this._setStatus("closed", { code });
      return;
    }
    const { minDelay, maxDelay, jitter, random } = this.options;
    const delay = backoffDelay(this._attempt++, minDelay, maxDelay, jitter, random);
    this._setStatus("reconnecting", { code, delay });
    this._timer = setTimeout(() => this._open(), delay);
  }

  _retryNow() {
    if (this._closed || this._socket !== null) return;
    clearTimeout(this._timer);
    this._open();
  }
}

/** Join a room: `joinRoom("/ws/chat", { params: { nick } })`. */
export function joinRoom(url, options) {
  return new Room(url, options);
}
