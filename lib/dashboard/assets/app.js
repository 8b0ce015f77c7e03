// Orchestra's dashboard: plain browser JavaScript, no framework, nothing from the internet.
// Every piece of server text goes through text nodes (h() below), never innerHTML, so names
// like "<script>" show as text. State lives on the server; views re-read it on each change
// the server announces over server-sent events.

const main = document.getElementById("main");
let csrfToken = null;
let me = null;
let events = null;
let refresh = () => {};

/** Build an element: attributes (on* become listeners) and children (strings become text). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Call the API; throws {code, message} from its typed errors. */
async function api(path, { method = "GET", body } = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  const response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const data = await response.json().catch(() => ({ error: { code: "INTERNAL", message: `HTTP ${response.status}` } }));
  if (!response.ok) {
    const error = Object.assign(new Error(data.error?.message ?? `HTTP ${response.status}`), { code: data.error?.code ?? "INTERNAL" });
    if (error.code === "AUTH_REQUIRED" && path !== "/session") showLogin("Your session ended; log in again.");
    throw error;
  }
  return data;
}

/** An error shown where it happened; the page stays usable. */
function errorBox(error) {
  return h("p", { class: "error", role: "alert" }, `${error.code ?? "ERROR"}: ${error.message}`);
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function status(value) {
  const kind = /^failed_|^broken$/.test(value) ? "bad" : /^(ready|deployed)$/.test(value) ? "good" : "busy";
  return h("span", { class: `status ${kind}`, "data-status": value }, value.replaceAll("_", " "));
}

function setTitle(text) {
  document.title = `${text} · Orchestra`;
  return h("h1", {}, text);
}

// ---- Live updates -------------------------------------------------------------------------

function connectEvents() {
  if (events) events.close();
  const live = document.getElementById("live");
  events = new EventSource("/api/v1/events");
  // On (re)connect the page re-reads: whatever changed while it was away shows now.
  events.addEventListener("hello", () => { live.textContent = "live"; live.className = "live on"; refresh(); });
  events.addEventListener("change", () => refresh());
  events.onerror = () => { live.textContent = "reconnecting…"; live.className = "live off"; };
}

// ---- Log in and out ---------------------------------------------------------------------

function showLogin(message) {
  me = null;
  csrfToken = null;
  if (events) { events.close(); events = null; }
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("who").textContent = "";
  const notice = h("div", { id: "login-error" }, message ? h("p", { class: "error", role: "alert" }, message) : null);
  const form = h("form", { class: "login", id: "login" },
    setTitle("Log in"),
    h("label", { for: "user" }, "User name"),
    h("input", { id: "user", name: "user", autocomplete: "username", required: true }),
    h("label", { for: "password" }, "Password"),
    h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true }),
    h("button", { type: "submit" }, "Log in"),
    notice);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const result = await api("/login", { method: "POST", body: { user: form.user.value, password: form.password.value } });
      await signedIn(result);
      location.hash = me.admin ? "#/machines" : "#/instances";
      route();
    } catch (error) {
      notice.replaceChildren(errorBox(error));
    }
  });
  main.replaceChildren(form);
}

async function signedIn(session) {
  me = session.user;
  csrfToken = session.csrfToken;
  document.getElementById("nav").hidden = false;
  for (const link of document.querySelectorAll("[data-admin]")) link.hidden = !me.admin;
  document.getElementById("who").textContent = `${me.name} (${me.admin ? "admin" : `account ${me.account}`})`;
  document.getElementById("logout").hidden = false;
  connectEvents();
}

document.getElementById("logout").addEventListener("click", async () => {
  try { await api("/logout", { method: "POST", body: {} }); } catch { /* the server ended it already */ }
  showLogin("Logged out.");
});

// ---- Views -----------------------------------------------------------------------------

/** Render a view; it re-runs on each change, keeping its own state (filters, selection). */
function view(render) {
  let busy = false;
  let again = false;
  refresh = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try { await render(); } catch (error) { if (error.code !== "AUTH_REQUIRED") main.replaceChildren(errorBox(error)); }
    busy = false;
    if (again) { again = false; refresh(); }
  };
  refresh();
}

async function overview() {
  const data = await api("/overview");
  const parts = [setTitle("Overview"), h("p", {}, `Open instances: ${data.instances}`)];
  if (data.counts) {
    parts.push(h("h2", {}, "Machines by state"), h("ul", { class: "counts" },
      Object.entries(data.counts).map(([s, n]) => h("li", {}, h("a", { href: `#/machines?status=${s}` }, status(s), " ", h("strong", { "data-count": s }, n))))));
    parts.push(h("h2", {}, "Recent failures"), data.recentFailures.length === 0 ? h("p", {}, "None.") :
      h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Machine"), h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, "Message"), h("th", { scope: "col" }, "When"))),
        h("tbody", {}, data.recentFailures.map((f) => h("tr", {}, h("td", {}, h("a", { href: `#/machine/${f.systemId}` }, f.hostname)), h("td", {}, status(f.status)), h("td", {}, f.message), h("td", {}, f.at))))));
  }
  main.replaceChildren(...parts);
}

function machines(params) {
  const state = { status: params.get("status") ?? "", zone: "", tag: "", q: "", sort: "hostname", order: "asc", page: 1, selected: new Set() };
  const notice = h("div", { id: "notice", "aria-live": "polite" });
  const table = h("div", { id: "machine-table" });
  const field = (id, label, input) => h("span", { class: "field" }, h("label", { for: id }, label), input);
  const statusSelect = h("select", { id: "f-status", onchange: () => { state.status = statusSelect.value; state.page = 1; refresh(); } },
    h("option", { value: "" }, "any"), ["new", "commissioning", "failed_commissioning", "ready", "allocated", "deploying", "failed_deployment", "deployed", "releasing", "failed_releasing", "disk_erasing", "failed_disk_erasing", "broken", "retired"].map((s) => h("option", { value: s, selected: s === state.status }, s)));
  const text = (id, key) => {
    const input = h("input", { id, type: "search" });
    let timer;
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { state[key] = input.value.trim(); state.page = 1; refresh(); }, 250); });
    return input;
  };
  const filters = h("form", { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
    field("f-q", "Search", text("f-q", "q")), field("f-status", "Status", statusSelect), field("f-zone", "Zone", text("f-zone", "zone")), field("f-tag", "Tag", text("f-tag", "tag")));
  const act = async (action) => {
    const ids = [...state.selected];
    if (ids.length === 0) return;
    let reason;
    if (action === "mark-broken") { reason = prompt(`Why are ${ids.length} machine(s) broken?`); if (!reason) return; }
    else if (!confirm(`${action} ${ids.length} machine(s)?`)) return;
    try {
      const { results } = await api("/machines/actions", { method: "POST", body: { action, machines: ids, ...(reason ? { reason } : {}) } });
      const failed = results.filter((r) => !r.ok);
      notice.replaceChildren(h("p", { class: failed.length ? "error" : "ok", role: "status" }, `${action}: ${results.length - failed.length} done` + (failed.length ? `; ${failed.length} refused: ${failed.map((f) => `${f.systemId} ${f.error.code}`).join(", ")}` : "")));
      state.selected.clear();
      refresh();
    } catch (error) { notice.replaceChildren(errorBox(error)); }
  };
  const bulk = h("div", { class: "bulk", role: "toolbar", "aria-label": "Actions on selected machines" },
    [["accept", "Accept"], ["commission", "Commission"], ["release", "Release"], ["mark-broken", "Mark broken"], ["delete", "Delete"]].map(([a, label]) => h("button", { type: "button", "data-action": a, onclick: () => act(a) }, label)));
  main.replaceChildren(setTitle("Machines"), filters, bulk, notice, table);
  const sortHeader = (key, label) => h("th", { scope: "col", "aria-sort": state.sort === key ? (state.order === "asc" ? "ascending" : "descending") : "none" },
    h("button", { type: "button", class: "sort", onclick: () => { state.order = state.sort === key && state.order === "asc" ? "desc" : "asc"; state.sort = key; refresh(); } }, label));
  view(async () => {
    const q = new URLSearchParams({ sort: state.sort, order: state.order, page: String(state.page), pageSize: "50" });
    for (const key of ["status", "zone", "tag", "q"]) if (state[key]) q.set(key, state[key]);
    let data;
    try { data = await api(`/machines?${q}`); } catch (error) { table.replaceChildren(errorBox(error)); return; }
    const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
    const all = h("input", { type: "checkbox", "aria-label": "Select all on this page", onchange: () => { for (const m of data.machines) all.checked ? state.selected.add(m.systemId) : state.selected.delete(m.systemId); refresh(); } });
    all.checked = data.machines.length > 0 && data.machines.every((m) => state.selected.has(m.systemId));
    table.replaceChildren(
      h("p", { id: "machine-count" }, `${data.total} machine${data.total === 1 ? "" : "s"}`, state.selected.size ? ` · ${state.selected.size} selected` : ""),
      h("table", { class: "machines" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, all), sortHeader("hostname", "Hostname"), sortHeader("status", "Status"), h("th", { scope: "col" }, "Power"), sortHeader("zone", "Zone"), h("th", { scope: "col" }, "Tags"), sortHeader("cpus", "CPUs"), sortHeader("memory", "Memory"), sortHeader("storage", "Storage"), h("th", { scope: "col" }, "Owner"), h("th", { scope: "col" }, "Instance"))),
        h("tbody", {}, data.machines.map((m) => h("tr", { "data-system-id": m.systemId },
          h("td", {}, h("input", { type: "checkbox", "aria-label": `Select ${m.hostname}`, checked: state.selected.has(m.systemId), onchange: (e) => { e.target.checked ? state.selected.add(m.systemId) : state.selected.delete(m.systemId); } })),
          h("td", {}, h("a", { href: `#/machine/${m.systemId}` }, m.hostname)),
          h("td", {}, status(m.status)),
          h("td", {}, m.powerType, m.powerType === "fake" ? h("span", { class: "label" }, " test only") : null),
          h("td", {}, m.zone), h("td", {}, m.tags.join(", ")), h("td", { class: "num" }, m.cpus), h("td", { class: "num" }, bytes(m.memoryMib * 1048576)), h("td", { class: "num" }, bytes(m.storageBytes)),
          h("td", {}, m.owner ?? ""), h("td", {}, m.instanceId ?? ""))))),
      h("nav", { class: "pager", "aria-label": "Pages" },
        h("button", { type: "button", disabled: state.page <= 1, onclick: () => { state.page--; refresh(); } }, "Previous"),
        h("span", {}, ` page ${data.page} of ${pages} `),
        h("button", { type: "button", disabled: state.page >= pages, onclick: () => { state.page++; refresh(); } }, "Next")));
  });
}

function machinePage(systemId) {
  const notice = h("div", { id: "notice", "aria-live": "polite" });
  view(async () => {
    const data = await api(`/machines/${encodeURIComponent(systemId)}`);
    const m = data.machine;
    const act = async (action) => {
      let reason;
      if (action === "mark-broken") { reason = prompt("Why is it broken?"); if (!reason) return; }
      else if (!confirm(`${action} ${m.hostname}?`)) return;
      try {
        const { results } = await api("/machines/actions", { method: "POST", body: { action, machines: [m.systemId], ...(reason ? { reason } : {}) } });
        notice.replaceChildren(results[0].ok ? h("p", { class: "ok", role: "status" }, `${action}: done`) : errorBox(results[0].error));
        if (action === "delete" && results[0].ok) { location.hash = "#/machines"; return; }
        refresh();
      } catch (error) { notice.replaceChildren(errorBox(error)); }
    };
    const present = (...nodes) => nodes.filter((n) => n !== null && n !== undefined);
    const dl = (pairs) => h("dl", {}, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    main.replaceChildren(...present(
      setTitle(m.hostname),
      h("p", {}, status(m.status), " ", m.statusMessage),
      h("div", { class: "bulk", role: "toolbar", "aria-label": "Actions" }, data.actions.map((a) => h("button", { type: "button", "data-action": a, onclick: () => act(a) }, a.replace("-", " ")))),
      notice,
      h("section", { "aria-labelledby": "hw" }, h("h2", { id: "hw" }, "Hardware"),
        dl([["System id", m.systemId], ["Architecture", m.architecture], ["CPUs", m.cpus], ["Memory", bytes(m.memoryMib * 1048576)], ["Storage", bytes(m.storageBytes)], ["Zone", m.zone], ["Tags", m.tags.join(", ")], ...Object.entries(m.hardware)]),
        h("h3", {}, "Interfaces"), h("ul", {}, m.interfaces.map((n) => h("li", {}, `${n.name} ${n.mac}${n.boot ? " (boot)" : ""}`))),
        h("h3", {}, "Disks"), h("ul", {}, m.disks.map((d) => h("li", {}, `${d.name} ${bytes(d.sizeBytes)} ${d.model} ${d.serial}`)))),
      h("section", { "aria-labelledby": "pw" }, h("h2", { id: "pw" }, "Power"),
        dl([["Type", `${m.power.type}${m.power.testOnly ? " (test only)" : ""}`], ...Object.entries(m.power.params)]),
        h("h3", {}, "BMC: last power steps"),
        data.powerSteps.length === 0 ? h("p", {}, "None yet.") : h("ul", { id: "power-steps" }, data.powerSteps.map((p) => h("li", {}, `${p.claimedAt} for ${p.forStatus}: ${p.outcome ?? "in progress"} ${p.message}`)))),
      data.deployment ? h("section", { "aria-labelledby": "dp" }, h("h2", { id: "dp" }, "Deployment"),
        dl([["Phase", data.deployment.phase], ["Image", data.deployment.imageId], ["Message", data.deployment.message]]),
        data.deployment.bytesTotal ? h("progress", { max: data.deployment.bytesTotal, value: data.deployment.bytesDone, "aria-label": "Image written" }) : null) : null,
      data.instance ? h("p", {}, `Instance ${data.instance.instanceId} of account ${data.instance.account}`) : null,
      h("section", { "aria-labelledby": "ev" }, h("h2", { id: "ev" }, "Events"),
        h("table", { id: "events" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "#"), h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "From"), h("th", { scope: "col" }, "To"), h("th", { scope: "col" }, "Reason"))),
          h("tbody", {}, [...data.events].reverse().map((e) => h("tr", {}, h("td", {}, e.seq), h("td", {}, e.at), h("td", {}, e.from ?? ""), h("td", {}, e.to), h("td", {}, e.reason)))))),
      h("section", { "aria-labelledby": "co" }, h("h2", { id: "co" }, "Console"), h("pre", { class: "console", tabindex: "0", "aria-label": "Console log tail" }, data.consoleTail || "(no console output)"))));
  });
}

function instances() {
  view(async () => {
    const data = await api("/instances?state=all");
    main.replaceChildren(setTitle("Instances"),
      data.instances.length === 0 ? h("p", {}, "No instances.") :
      h("table", { id: "instances" }, h("thead", {}, h("tr", {}, ["Instance", "Account", "Type", "Machine", "Machine state", "Created", "Ended"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, data.instances.map((i) => h("tr", { "data-instance-id": i.instanceId }, h("td", {}, i.instanceId), h("td", {}, i.account), h("td", {}, i.instanceType ?? ""),
          h("td", {}, i.systemId ? h("a", { href: `#/machine/${i.systemId}` }, i.hostname) : (i.hostname ?? "")), h("td", {}, i.machineStatus ? status(i.machineStatus) : ""), h("td", {}, i.createdAt), h("td", {}, i.endedAt ?? ""))))));
  });
}

function simpleTable(title, rows, columns) {
  return [setTitle(title), rows.length === 0 ? h("p", {}, "None.") :
    h("table", {}, h("thead", {}, h("tr", {}, columns.map(([c]) => h("th", { scope: "col" }, c)))), h("tbody", {}, rows.map((r) => h("tr", {}, columns.map(([, f]) => h("td", {}, f(r)))))))];
}

function images() {
  view(async () => {
    const data = await api("/images");
    main.replaceChildren(...simpleTable("Images", data.images, [["Image", (i) => i.imageId], ["Name", (i) => i.name], ["Architecture", (i) => i.architecture], ["Created", (i) => i.creationDate]]));
  });
}

function instanceTypes() {
  view(async () => {
    const data = await api("/instance-types");
    main.replaceChildren(...simpleTable("Instance types", data.instanceTypes, [["Name", (t) => t.name], ["CPUs", (t) => t.cpus], ["Memory", (t) => bytes(t.memoryMib * 1048576)], ["Disk", (t) => `${t.diskGib} GiB`], ["Description", (t) => t.description]]));
  });
}

function credentialsPage() {
  const notice = h("div", { id: "notice", "aria-live": "polite" });
  const account = h("input", { id: "c-account", value: me.admin ? "default" : me.account, readonly: !me.admin });
  const kind = h("select", { id: "c-kind" }, h("option", { value: "ec2" }, "EC2 access key"), h("option", { value: "maas" }, "MAAS API key"));
  const form = h("form", { class: "filters", id: "create-credential" }, h("span", { class: "field" }, h("label", { for: "c-account" }, "Account"), account), h("span", { class: "field" }, h("label", { for: "c-kind" }, "Kind"), kind), h("button", { type: "submit" }, "Create"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await api("/credentials", { method: "POST", body: { account: account.value, kind: kind.value } });
      const secret = created.kind === "ec2" ? `${created.accessKeyId} ${created.secretAccessKey}` : created.apiKey;
      notice.replaceChildren(h("div", { class: "secret", role: "status" }, h("p", {}, "Copy it now: the secret is shown only once."), h("code", { id: "new-secret" }, secret)));
      refresh();
    } catch (error) { notice.replaceChildren(errorBox(error)); }
  });
  const list = h("div");
  main.replaceChildren(setTitle("Credentials"), form, notice, list);
  const revoke = async (id, k) => {
    if (!confirm(`Revoke ${id}? Clients using it stop working at once.`)) return;
    try { await api("/credentials/revoke", { method: "POST", body: { id, kind: k } }); refresh(); } catch (error) { notice.replaceChildren(errorBox(error)); }
  };
  view(async () => {
    const data = await api("/credentials");
    const rows = [...data.ec2.map((c) => ({ id: c.accessKeyId, kind: "ec2", account: c.account, createdAt: c.createdAt, revokedAt: c.revokedAt })), ...data.maas.map((c) => ({ id: c.tokenKey, kind: "maas", account: c.account, createdAt: c.createdAt, revokedAt: c.revokedAt }))];
    list.replaceChildren(h("table", { id: "credentials" }, h("thead", {}, h("tr", {}, ["Key", "Kind", "Account", "Created", "Revoked", ""].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.map((r) => h("tr", { "data-key": r.id }, h("td", {}, r.id), h("td", {}, r.kind), h("td", {}, r.account), h("td", {}, r.createdAt), h("td", { class: "revoked" }, r.revokedAt ?? ""),
        h("td", {}, r.revokedAt ? "" : h("button", { type: "button", "aria-label": `Revoke ${r.id}`, onclick: () => revoke(r.id, r.kind) }, "Revoke")))))));
  });
}

// ---- Routing ---------------------------------------------------------------------------

function route() {
  if (!me) return;
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query ?? "");
  refresh = () => {};
  for (const link of document.querySelectorAll("#nav a")) link.toggleAttribute("aria-current", link.getAttribute("href") === `#${path}`);
  if (path === "/machines") return machines(params);
  if (path?.startsWith("/machine/")) return machinePage(decodeURIComponent(path.slice("/machine/".length)));
  if (path === "/instances") return instances();
  if (path === "/images") return images();
  if (path === "/instance-types") return instanceTypes();
  if (path === "/credentials") return credentialsPage();
  return view(overview);
}

window.addEventListener("hashchange", () => { route(); main.focus(); });

(async () => {
  try {
    await signedIn(await api("/session"));
    route();
  } catch {
    showLogin();
  }
})();
