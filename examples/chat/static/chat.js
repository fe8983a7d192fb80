// The chat room client: one WebSocket, JSON posts, one <li> per message.
"use strict";

const statusText = document.getElementById("status");
const messages = document.getElementById("messages");
const errorText = document.getElementById("error");
const nick = document.getElementById("nick");
const message = document.getElementById("message");
const scheme = location.protocol === "https:" ? "wss" : "ws";
let socket = null;
let retryDelay = 500;

function show(post) {
  const item = document.createElement("li");
  item.textContent = `${post.nick}: ${post.text}`; // text, never HTML
  messages.appendChild(item);
  item.scrollIntoView({ block: "nearest" });
}

function connect() {
  socket = new WebSocket(`${scheme}://${location.host}/ws/chat`);
  socket.onopen = () => {
    statusText.textContent = "connected";
    retryDelay = 500;
  };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.error) {
      errorText.textContent = data.error;
    } else {
      errorText.textContent = "";
      show(data);
    }
  };
  socket.onclose = (event) => {
    statusText.textContent = `disconnected (${event.code}), reconnecting…`;
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 5000);
  };
}

document.getElementById("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  if (!nick.value.trim() || !message.value.trim()) return;
  socket.send(JSON.stringify({ nick: nick.value.trim(), text: message.value }));
  message.value = "";
  message.focus();
});

nick.value = localStorage.getItem("spangle-chat-nick") || "";
nick.addEventListener("change", () => localStorage.setItem("spangle-chat-nick", nick.value));
connect();
