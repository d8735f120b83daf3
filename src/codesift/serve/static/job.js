// The live job page: read the job's Server-Sent Events, render them, post the user's feedback.
"use strict";
const JOB = window.CODESIFT.job;
const $ = (id) => document.getElementById(id);
let last = -1;
let source = null;

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function codeCell(row, code) {
  const pre = document.createElement("pre");
  pre.textContent = code;
  row.insertCell().appendChild(pre);
}

function stage(name, text) {
  let line = document.querySelector(`#stages [data-stage="${CSS.escape(name)}"]`);
  if (!line) {
    line = document.createElement("div");
    line.dataset.stage = name;
    $("stages").appendChild(line);
  }
  line.textContent = `${name}: ${text}`;
}

function setStatus(status, error) {
  $("status").textContent = status;
  $("status").className = "status-" + status;
  $("job-error").textContent = error || "";
}

function showAnswer(answer) {
  const best = answer && answer.submissions[0];
  $("answer").className = best ? "" : "muted";
  $("answer").textContent = best
    ? `${best.code}\n\n# passes ${best.examples_passed}/${best.examples_total} visible examples; ` +
      `cluster of ${best.cluster_size} of ${answer.samples} samples`
    : "(no program passed any visible example)";
}

function renderClusters(view) {
  const table = $("clusters");
  while (table.rows.length > 1) table.deleteRow(1);
  for (const c of view.clusters) {
    const row = table.insertRow();
    row.className = "cluster";
    cell(row, c.rank);
    cell(row, c.samples);
    cell(row, c.programs);
    cell(row, c.score.toFixed(2));
    cell(row, c.shown === null ? "" : c.shown);
    codeCell(row, c.code);
  }
  const box = $("disagreement");
  box.replaceChildren();
  box.className = "";
  const d = view.disagreement;
  if (!d) {
    box.textContent = view.clusters.length > 1 || view.clusters.length === 0
      ? (view.clusters.length ? "The top clusters agree on every probe input." : "No program satisfies your answers.")
      : "One cluster left: nothing to settle.";
    box.id = "disagreement";
    box.dataset.settled = "true";
    return;
  }
  box.dataset.settled = "false";
  const question = document.createElement("p");
  question.textContent = "The top clusters differ on this input. Which output is right?";
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = d.probe.input;
  box.append(question, probe);
  const seen = new Set();
  d.behaviours.forEach((b, i) => {
    if (seen.has(b)) return;
    seen.add(b);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "choice";
    button.dataset.behaviour = b;
    button.textContent = d.shown[i];
    button.addEventListener("click", () => feedback({action: "choose", probe: d.probe, behaviour: b}));
    box.appendChild(button);
  });
}

async function refreshAnswer() {
  const r = await fetch(`/v1/jobs/${JOB}`);
  if (r.ok) {
    const job = await r.json();
    if (job.answer) showAnswer(job.answer);
  }
}

async function feedback(item) {
  $("feedback-error").textContent = "";
  const r = await fetch(`/v1/jobs/${JOB}/feedback`, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(item),
  });
  const data = await r.json();
  if (!r.ok) { $("feedback-error").textContent = data.error.message; return; }
  if (item.action === "hint") { setStatus(data.status); connect(); return; }
  renderClusters(data);
  await refreshAnswer();
}

const handlers = {
  "status": (e) => setStatus(e.status, e.error),
  "stage-started": (e) => stage(e.stage, `0/${e.total}`),
  "stage-advanced": (e) => stage(e.stage, `${e.done}/${e.total}`),
  "stage-finished": (e) => stage(e.stage, `${e.done} done in ${e.seconds.toFixed(1)}s`),
  "candidate": (e) => {
    const row = $("candidates").insertRow();
    row.className = "candidate";
    cell(row, e.policy); cell(row, e.seed); cell(row, e.completion_tokens); cell(row, e.program.slice(0, 10));
  },
  "verdicts": (e) => {
    const table = $("verdicts");
    while (table.rows.length > 1) table.deleteRow(1);
    for (const p of e.programs) {
      const row = table.insertRow();
      row.className = "verdict";
      cell(row, p.program.slice(0, 10));
      cell(row, p.votes);
      const td = row.insertCell();
      p.statuses.forEach((s) => { const span = document.createElement("span"); span.className = s; span.textContent = s + " "; td.appendChild(span); });
    }
  },
  "clusters": (e) => renderClusters(e.view),
  "done": (e) => {
    setStatus(e.status, e.error);
    if (e.answer) showAnswer(e.answer);
    // an ask job's answer is rendered by the server: load it once the job is done (not when replaying history)
    if (window.CODESIFT.kind === "ask" && e.status === "done" && !document.getElementById("ask-answer")) location.reload();
  },
};

function connect() {
  if (source) source.close();
  source = new EventSource(`/v1/jobs/${JOB}/events?after=${last}`);
  for (const kind of Object.keys(handlers)) {
    source.addEventListener(kind, (msg) => {
      last = Number(msg.lastEventId);
      handlers[kind](JSON.parse(msg.data));
    });
  }
  // The server ends the stream when the job has ended; the browser would reconnect (it does, with
  // Last-Event-ID, after a dropped connection or a server restart), so stop it once the job is over.
  source.onerror = () => {
    if (["done", "failed", "cancelled"].includes($("status").textContent)) source.close();
  };
}

$("cancel").addEventListener("click", async () => {
  const r = await fetch(`/v1/jobs/${JOB}`, {method: "DELETE"});
  const data = await r.json();
  if (!r.ok) $("feedback-error").textContent = data.error.message;
});
if ($("add-test")) $("add-test").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const stdio = window.CODESIFT.style === "stdio";
  const input = $("test-input").value, output = $("test-output").value;
  feedback({action: "test", test: {kind: stdio ? "stdio" : "call", input: stdio ? input + "\n" : input, output}});
});
if ($("hint")) $("hint").addEventListener("submit", (ev) => { ev.preventDefault(); feedback({action: "hint", text: $("hint-text").value}); });
connect();
