// The labweb dashboard: one WebSocket feed, rendered into tables. No framework, no
// build step. Everything shown comes from clients, so text goes in with textContent,
// never as HTML.
"use strict";

const state = { exchanges: [], keeps: 100, selected: null };

function el(id) { return document.getElementById(id); }

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  return td;
}

function size(n) {
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
  return (n / 1048576).toFixed(1) + " MiB";
}

function showCounters(message) {
  const c = message.counters;
  el("requests").textContent = c.requests;
  const statuses = Object.entries(c.responses).map(([s, n]) => s + ": " + n);
  el("responses").textContent = statuses.length ? statuses.join("  ") : "-";
  el("bytes").textContent = size(c.bytes_in) + " / " + size(c.bytes_out);
  const l = c.latency_ms;
  el("latency").textContent = l.p50 === null ? "-" : [l.p50, l.p90, l.p99].map((v) => v + " ms").join(" / ");
  el("connections-count").textContent = message.connections.length + " / " + c.connections_opened;
  const p = message.pool;
  el("pool").textContent = p ? p.busy + " / " + p.threads + ", " + p.waiting + " queued" : "no pool";
  const t = Object.entries(c.timeouts).map(([k, n]) => k + ": " + n);
  el("timeouts").textContent = t.length ? t.join("  ") : "0";
}

function showConnections(connections) {
  const body = el("connections").tBodies[0];
  body.replaceChildren();
  const now = Date.now() / 1000;
  for (const c of connections) {
    const row = body.insertRow();
    [c.id, c.peer, c.activity, c.state, c.requests, size(c.bytes_in), size(c.bytes_out)]
      .forEach((v) => cell(row, v));
    cell(row, Math.max(0, now - c.opened).toFixed(1) + " s");
  }
}

function hidden(x) {
  return el("hide-lab").checked && (x.target === "/_lab" || x.target.startsWith("/_lab/"));
}

function showExchanges() {
  const body = el("exchanges").tBodies[0];
  body.replaceChildren();
  for (const x of state.exchanges.slice().reverse()) {
    if (hidden(x)) continue;
    const row = body.insertRow();
    row.dataset.number = x.number;
    if (x.number === state.selected) row.className = "selected";
    cell(row, x.number);
    cell(row, x.connection);
    cell(row, x.method ? x.method + " " + x.target : "(no request)");
    cell(row, x.status, x.status ? "s" + String(x.status)[0] : "err");
    cell(row, x.duration_ms);
    cell(row, size(x.bytes_in));
    cell(row, size(x.bytes_out));
    cell(row, x.error ? x.outcome + ": " + x.error : x.outcome);
    row.addEventListener("click", () => select(x.number));
  }
}

function readable(escaped) {
  // The server escapes bytes reversibly (\r, \n, \xNN); break lines after each \n.
  return escaped.replaceAll("\\n", "\\n\n");
}

async function select(number) {
  state.selected = number;
  showExchanges();
  const response = await fetch("/_lab/exchanges/" + number);
  const detail = el("detail");
  detail.hidden = false;
  if (!response.ok) {
    el("detail-title").textContent = "exchange " + number + " is no longer kept";
    el("raw-in").textContent = el("raw-out").textContent = "";
    return;
  }
  const x = await response.json();
  el("detail-title").textContent = "#" + x.number + " " + (x.method ? x.method + " " + x.target : "(no request)");
  el("raw-in").textContent = readable(x.raw_in) + (x.raw_in_truncated ? "\n... (" + x.bytes_in + " bytes in all)" : "");
  el("raw-out").textContent = readable(x.raw_out) + (x.raw_out_truncated ? "\n... (" + x.bytes_out + " bytes in all)" : "");
}

function receive(message) {
  state.keeps = message.keeps;
  state.exchanges = state.exchanges.concat(message.exchanges).slice(-state.keeps);
  showCounters(message);
  showConnections(message.connections);
  showExchanges();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/_lab/feed");
  const status = el("feed-status");
  socket.onopen = () => { status.textContent = "live"; status.className = "status live"; };
  socket.onmessage = (event) => receive(JSON.parse(event.data));
  socket.onclose = () => {
    status.textContent = "disconnected: retrying";
    status.className = "status down";
    state.exchanges = [];  // the next connection starts with a full state
    setTimeout(connect, 1000);
  };
}

document.addEventListener("DOMContentLoaded", () => {
  el("hide-lab").addEventListener("change", showExchanges);
  connect();
});
