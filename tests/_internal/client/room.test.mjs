// The browser client's logic under Node's test runner, with a fake WebSocket
// and mocked timers: run by test_client_js.py beside the generated module.
import assert from "node:assert/strict";
import { beforeEach, mock, test } from "node:test";

import { Room, backoffDelay, compareIds, joinRoom } from "./spangle.js";

class FakeSocket {
  static all = [];
  constructor(url, protocols) {
    this.url = new URL(url);
    this.protocols = protocols;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen();
  }
  frame(value) {
    this.onmessage({ data: typeof value === "string" ? value : JSON.stringify(value) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose({ code });
  }
  send(data) {
    this.sent.push(data);
  }
  close(code) {
    this.readyState = 3;
    this.closedWith = code;
  }
}

const last = () => FakeSocket.all[FakeSocket.all.length - 1];
const room = (options = {}) =>
  joinRoom("ws://127.0.0.1:1/ws/chat", { WebSocket: FakeSocket, random: () => 0, ...options });
const message = (id, data) => ({ type: "message", channel: "chat", id, data });

beforeEach(() => {
  FakeSocket.all = [];
  mock.timers.reset();
  mock.timers.enable({ apis: ["setTimeout"] });
});

test("the backoff doubles from the first delay and stops at the cap", () => {
  const delays = [0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, 500, 5000, 0.5, () => 0));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 5000, 5000]);
});

test("the jitter takes off at most its share of the delay", () => {
  assert.equal(backoffDelay(2, 500, 5000, 0.5, () => 0.999999), 1000);
  assert.equal(backoffDelay(2, 500, 5000, 0.5, () => 0.5), 1500);
});

test("ids compare by milliseconds, then by sequence", () => {
  assert.ok(compareIds("10-2", "9-5") > 0);
  assert.ok(compareIds("10-2", "10-10") < 0);
  assert.equal(compareIds("7-1", "7-1"), 0);
});

test("the first connection asks for history, with the app's params", () => {
  room({ history: 50, params: { nick: "ann" } });
  assert.equal(last().url.searchParams.get("history"), "50");
  assert.equal(last().url.searchParams.get("nick"), "ann");
  assert.equal(last().url.searchParams.get("since"), null);
});

test("after a drop it waits the backoff, then resumes from the last id", () => {
  const r = room({ history: 50, minDelay: 100 });
  const statuses = [];
  r.on("status", (status, detail) => statuses.push([status, detail.delay]));
  last().open();
  last().frame(message("5-0", "a"));
  last().drop();
  assert.equal(FakeSocket.all.length, 1);
  mock.timers.tick(99);
  assert.equal(FakeSocket.all.length, 1);
  mock.timers.tick(1);
  assert.equal(FakeSocket.all.length, 2);
  assert.equal(last().url.searchParams.get("since"), "5-0");
  assert.equal(last().url.searchParams.get("history"), null);
  assert.deepEqual(statuses, [["open", undefined], ["reconnecting", 100]]);
});

test("failed attempts back off further; an open connection starts over", () => {
  const r = room({ minDelay: 100, maxDelay: 350 });
  const delays = [];
  r.on("status", (status, detail) => status === "reconnecting" && delays.push(detail.delay));
  for (let i = 0; i < 4; i++) {
    last().drop();
    mock.timers.tick(1000);
  }
  last().open();
  last().drop();
  assert.deepEqual(delays, [100, 200, 350, 350, 100]);
});

test("sends while offline are queued and go out in order once open", () => {
  const r = room();
  assert.equal(r.send("one"), true);
  assert.equal(r.send({ text: "two" }), true);
  last().open();
  r.send("three");
  assert.deepEqual(last().sent, ["one", '{"text":"two"}', "three"]);
});

test("a full queue refuses the send", () => {
  const r = room({ maxQueue: 1 });
  assert.equal(r.send("kept"), true);
  assert.equal(r.send("refused"), false);
});

test("messages seen before a reconnection are not delivered twice", () => {
  const r = room();
  const got = [];
  r.on("message", (data, id) => got.push([data, id]));
  last().open();
  last().frame(message("1-0", "a"));
  last().frame(message("2-0", "b"));
  last().drop();
  mock.timers.tick(10000);
  last().open();
  last().frame(message("2-0", "b"));
  last().frame(message("3-0", "c"));
  assert.deepEqual(got, [["a", "1-0"], ["b", "2-0"], ["c", "3-0"]]);
  assert.equal(r.lastId, "3-0");
});

test("binary messages are decoded from base64", () => {
  const r = room();
  let got;
  r.on("message", (data) => (got = data));
  last().frame({ type: "message", channel: "c", id: "1-0", data: "AP8=", binary: true });
  assert.deepEqual([...got], [0, 255]);
});

test("the presence list follows the snapshot, joins and leaves", () => {
  const r = room();
  const lists = [];
  r.on("presence", (members) => lists.push(members.map((m) => m.meta.nick)));
  const ann = { id: "n.1", meta: { nick: "ann" } };
  const bob = { id: "n.2", meta: { nick: "bob" } };
  last().frame({ type: "presence", channel: "c", me: "n.1", members: [ann] });
  last().frame({ type: "join", channel: "c", member: bob });
  last().frame({ type: "join", channel: "c", member: bob });
  last().frame({ type: "leave", channel: "c", member: ann });
  assert.deepEqual(lists, [["ann"], ["ann", "bob"], ["ann", "bob"], ["bob"]]);
  assert.equal(r.me, "n.1");
});

test("a missed frame is reported with the id asked for", () => {
  const r = room();
  let since;
  r.on("missed", (value) => (since = value));
  last().frame({ type: "missed", channel: "c", since: "4-0" });
  assert.equal(since, "4-0");
});

test("other frames reach the frame listeners as they are", () => {
  const r = room();
  const frames = [];
  r.on("frame", (frame) => frames.push(frame));
  last().frame({ error: "too long" });
  last().frame("not json");
  assert.deepEqual(frames, [{ error: "too long" }, "not json"]);
});

test("a stop code ends the room without reconnecting", () => {
  const r = room();
  last().open();
  last().drop(1008);
  mock.timers.tick(60000);
  assert.equal(FakeSocket.all.length, 1);
  assert.equal(r.status, "closed");
});

test("close() ends the room for good", () => {
  const r = room();
  last().open();
  r.close();
  assert.equal(last().closedWith, 1000);
  last().drop(1000);
  mock.timers.tick(60000);
  assert.equal(FakeSocket.all.length, 1);
  assert.ok(r instanceof Room);
});

test("a listener can be removed", () => {
  const r = room();
  let count = 0;
  const stop = r.on("frame", () => count++);
  last().frame({ a: 1 });
  stop();
  last().frame({ a: 2 });
  assert.equal(count, 1);
});
