// jobs.js: the admin jobs console. Polls jobs.json, draws each list (text only, through
// textContent), a progress bar with counts and the last log lines of running jobs, and
// sends Cancel / Run again as POSTs with the page's CSRF token.

const console_ = document.getElementById("jobs-console");
const texts = JSON.parse(document.getElementById("jobs-texts").textContent);
const POLL_MS = 1500;

function csrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function post(url) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!response.ok) {
    let message = texts.error;
    try {
      message = (await response.json()).message || message;
    } catch {
      /* not JSON: keep the generic text */
    }
    window.alert(message);
  }
  refresh();
}

function progressBar(progress, status) {
  const wrap = el("div", "progress my-1");
  wrap.style.height = "0.9rem";
  const bar = el("div", "progress-bar");
  bar.setAttribute("role", "progressbar");
  const total = progress.total || progress.counts.found || progress.counts.files || 0;
  let percent = total ? Math.min(100, Math.round((100 * progress.done) / total)) : 0;
  if (status === "finished") percent = 100;
  if (!total && status === "started") {
    bar.classList.add("progress-bar-striped", "progress-bar-animated");
    percent = 100;
  }
  bar.style.width = `${percent}%`;
  bar.setAttribute("aria-valuenow", String(percent));
  bar.textContent = total ? `${progress.done} / ${total}` : "";
  wrap.append(bar);
  return wrap;
}

function jobItem(job) {
  const item = el("li", "list-group-item py-2");
  item.dataset.jobId = job.id;
  item.dataset.jobName = job.name;
  item.dataset.status = job.status;
  const head = el("div", "d-flex align-items-center");
  head.append(el("strong", "mr-2", job.name));
  head.append(el("span", "badge badge-light mr-2", texts.statuses[job.status] || job.status));
  head.append(el("code", "small text-muted mr-auto", job.id.slice(0, 8)));
  if (["queued", "started", "scheduled", "deferred"].includes(job.status)) {
    const cancel = el("button", "btn btn-sm btn-outline-secondary", texts.cancel);
    cancel.type = "button";
    cancel.dataset.action = "cancel";
    cancel.addEventListener("click", () => post(`${console_.dataset.base}jobs/${job.id}/cancel`));
    head.append(cancel);
  }
  if (job.status === "failed" || job.status === "canceled") {
    const rerun = el("button", "btn btn-sm btn-outline-primary", texts.rerun);
    rerun.type = "button";
    rerun.dataset.action = "rerun";
    rerun.addEventListener("click", () => post(`${console_.dataset.base}jobs/${job.id}/rerun`));
    head.append(rerun);
  }
  item.append(head);
  const args = Object.entries(job.args || {})
    .filter(([key]) => key !== "message" && key !== "key")
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(",") : value}`)
    .join(" ");
  if (args) item.append(el("div", "small text-muted text-break", args));
  const progress = job.progress || { done: 0, total: null, counts: {}, log: [] };
  if (job.status === "started" || Object.keys(progress.counts).length) {
    item.append(progressBar(progress, job.status));
    const counts = Object.entries(progress.counts)
      .filter(([, value]) => typeof value === "number")
      .map(([key, value]) => `${texts.labels[key] || key} ${value}`)
      .join(" · ");
    if (counts) item.append(el("div", "small", counts));
  }
  if (progress.log && progress.log.length) {
    const log = el("pre", "small bg-light p-1 mb-0 text-wrap");
    log.dataset.log = "";
    log.textContent = progress.log.slice(-5).join("\n");
    item.append(log);
  }
  if (job.error) item.append(el("div", "small text-danger text-break", job.error));
  if (job.retries_left && ["failed", "scheduled"].includes(job.status)) {
    item.append(el("div", "small text-muted", fill(texts.attempt_left, { n: job.retries_left })));
  }
  return item;
}

function draw(lists) {
  for (const [key, jobs] of Object.entries(lists)) {
    const list = console_.querySelector(`[data-list="${key}"]`);
    const count = console_.querySelector(`[data-count="${key}"]`);
    if (!list) continue;
    count.textContent = String(jobs.length);
    list.replaceChildren(...(jobs.length ? jobs.map(jobItem) : [el("li", "list-group-item small text-muted", texts.none)]));
  }
  const stamp = console_.querySelector("[data-updated]");
  stamp.textContent = fill(texts.updated, { time: new Date().toLocaleTimeString() });
}

let timer = null;

async function refresh() {
  window.clearTimeout(timer);
  try {
    const response = await fetch(console_.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (response.ok) draw(await response.json());
  } catch {
    console_.querySelector("[data-updated]").textContent = texts.error;
  }
  timer = window.setTimeout(refresh, POLL_MS);
}

if (console_) refresh();
