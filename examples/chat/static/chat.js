// The chat room page: spangle's room client (spangle.js, printed by
// `spangle client-js`) does the connection; this file only draws.
import { joinRoom } from "/static/spangle.js";

const STATUS = { connecting: "connecting…", open: "connected", reconnecting: "reconnecting…" };
const statusText = document.getElementById("status");
const messages = document.getElementById("messages");
const online = document.getElementById("online");
const errorText = document.getElementById("error");
const nick = document.getElementById("nick");
const message = document.getElementById("message");
let room = null;

function line(text, className = "") {
  const item = document.createElement("li");
  item.textContent = text; // text, never HTML
  item.className = className;
  messages.appendChild(item);
  item.scrollIntoView({ block: "nearest" });
}

function showOnline(members) {
  // One line per nickname: two tabs of one person, or a socket the server
  // has not seen close yet, show once.
  const nicks = [...new Set(members.map((member) => String(member.meta.nick)))];
  online.replaceChildren(
    ...nicks.map((name) => {
      const item = document.createElement("li");
      item.textContent = name;
      return item;
    }),
  );
}

function join(name) {
  if (room) room.close();
  messages.replaceChildren();
  room = joinRoom("/ws/chat", { params: { nick: name }, minDelay: 250, maxDelay: 5000 });
  room.on("status", (status, detail) => {
    statusText.textContent = STATUS[status] ?? `closed (${detail.code})`;
  });
  room.on("message", (data) => {
    const post = JSON.parse(data);
    errorText.textContent = "";
    line(`${post.nick}: ${post.text}`);
  });
  room.on("missed", () => line("some messages were missed while offline", "notice"));
  room.on("presence", showOnline);
  room.on("frame", (frame) => {
    if (frame && frame.error) errorText.textContent = frame.error;
  });
}

document.getElementById("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!nick.value.trim()) return;
  localStorage.setItem("spangle-chat-nick", nick.value.trim());
  join(nick.value.trim());
});

document.getElementById("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!room || !message.value.trim()) return;
  // Queued by the client while reconnecting, sent once back.
  if (!room.send({ text: message.value })) errorText.textContent = "offline: too many unsent messages";
  message.value = "";
  message.focus();
});

nick.value = localStorage.getItem("spangle-chat-nick") || "";
if (nick.value) join(nick.value);
