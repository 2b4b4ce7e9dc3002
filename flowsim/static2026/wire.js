// Flow's positional wire, page side (docs/flowsim-2026-contract.md, "The page's wire"): builds
// the requests the real page sends (no field names) and turns the records and workflow items
// of the replies into the page's own objects, so the grid and the composer never index arrays.
// Positions mirror flowsim/v2026/records.py (ASSUMPTION values marked there).

// ---- positions -------------------------------------------------------------------------------
// The generation record R (real positions; R[8] is flowsim's own: what the real page gets
// elsewhere).
const R = {
  mediaId: [0], projectId: [1], itemId: [2], created: [5, 0], prompt: [5, 1],
  modelKey: [5, 6, 1, 0, 0], inputs: [5, 6, 1, 1], state: [5, 8, 0], progress: [5, 8, 1],
  error: [5, 8, 2], posterUrl: [5, 10], sizeBytes: [5, 13], videoUrl: [7, 0, 8],
  duration: [7, 1, 2, 0],
  title: [8, 0], agent: [8, 1], previewUrl: [8, 2], opaqueThumbnailUrl: [8, 3], aspect: [8, 4],
  resolution: [8, 5],
};
// A workflow item I: [item id, null, null, [title, created, null, null, media id, client
// request id, submitted], project id].
const I = { itemId: [0], title: [3, 0], mediaId: [3, 4], clientRequestId: [3, 5], projectId: [4] };
// The upload result: [[media id, project id, asset id, …], [asset id, …, [file name, …, media id]]].
const UP = { mediaId: [0, 0], projectId: [0, 1], fileName: [1, 3, 0] };
// R[5][8][0] → the page's status names (4 = failed is an ASSUMPTION).
const STATES = { 6: "QUEUED", 2: "RENDERING", 3: "SUCCESSFUL", 4: "FAILED" };
const CLIENT_KIND = 22;
const PAGE_SUBMIT = 2;
const AGENT_SUBMIT = 3; // flowsim: the agent composer's submits
export const SUBMIT_RPC = { t2v: "YhhmEf", i2v: "eb1hJf", fl: "nprQif", r2v: "MZZa6b" };
export const POLL_MAX = 100; // ids per jwpduf

/** The element at `path` of nested arrays, or null where an array is shorter. */
export function at(value, path) {
  for (const i of path) {
    if (!Array.isArray(value) || i >= value.length) return null;
    value = value[i];
  }
  return value === undefined ? null : value;
}

// ---- ids and tokens --------------------------------------------------------------------------
function randomBytes(n) {
  const out = new Uint8Array(n);
  crypto.getRandomValues(out); // also outside secure contexts (unlike randomUUID)
  return out;
}

/** A random v4 uuid. */
export function uuid() {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A reCAPTCHA-like token, minted per call; an untrusted click's starts `untrusted-`. */
export function recaptchaToken(trusted = true) {
  const b64 = btoa(String.fromCharCode(...randomBytes(480))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return (trusted ? "03A" : "untrusted-") + b64;
}

// ---- requests ----------------------------------------------------------------------------------
/** The client context of every generation/upload request. */
export function context(projectId, trusted = true) {
  return [null, CLIENT_KIND, null, null, null, projectId, null, null, null, null, [recaptchaToken(trusted), 1]];
}

/** `[null, null, [[run, …]]]`: a run is ["text"] or a mention [null, [[media id, file name]]]. */
export function richPrompt(runs) { return [null, null, [runs]]; }

/** The plain text of prompt runs (mentions by file name). */
export function promptText(runs) {
  return runs.map((r) => (typeof r[0] === "string" ? r[0] : at(r, [1, 0, 1]) || "")).join("");
}

/**
 * A submit payload `[[Q…], ctx, [client request id, 2|3]]`, one Q per output. `refs` null: the
 * refs element is absent (text-to-video). Returns {payload, clientRequestId}.
 */
export function submitRequest({ projectId, runs, refs, key, count, trusted, agent }) {
  const qs = [];
  for (let i = 0; i < count; i++) {
    const q = [richPrompt(runs)];
    if (refs) q.push(refs.map((id) => [null, id]));
    q.push(key, 1, null, [null, null, null, null, uuid(), uuid()]);
    qs.push(q);
  }
  const clientRequestId = uuid();
  return { payload: [qs, context(projectId, trusted), [clientRequestId, agent ? AGENT_SUBMIT : PAGE_SUBMIT]], clientRequestId };
}

/** The upload payload: [ctx, base64, mime, 1, …, file name at 8, null, uuid, uuid]. */
export function uploadRequest(projectId, b64, mime, fileName) {
  return [context(projectId), b64, mime, 1, null, null, null, null, fileName, null, uuid(), uuid()];
}

/** A poll of the ids the page still waits for. */
export function pollRequest(ids) { return [null, null, ids.map((id) => [id])]; }

/** The media request of one clip. */
export function mediaRequest(mediaId) { return [mediaId]; }

/** The project's listing. */
export function listingRequest(projectId) { return [`projects/${projectId}`, null, null, null, [1]]; }

// ---- replies -----------------------------------------------------------------------------------
/** A workflow item as {itemId, mediaId, title, clientRequestId, projectId}. */
export function item(it) {
  return { itemId: at(it, I.itemId), mediaId: at(it, I.mediaId), title: at(it, I.title) || "",
    clientRequestId: at(it, I.clientRequestId), projectId: at(it, I.projectId) };
}

/** Every item of a list (submit reply r[2], listing r[1]). */
export function items(list) { return (Array.isArray(list) ? list : []).map(item).filter((i) => i.mediaId); }

/**
 * A record R as the page's clip object: {mediaId, status (QUEUED | PENDING | ACTIVE |
 * SUCCESSFUL | FAILED), progress, title, prompt, error, createdAt, agent, modelKey, duration,
 * thumbnailUrl, videoUrl, previewUrl, opaqueThumbnailUrl}. `titles`: item titles by media id.
 */
export function record(r, titles = null) {
  const code = at(r, R.state);
  let status = STATES[code] || "PENDING";
  let progress = at(r, R.progress);
  if (status === "RENDERING") status = typeof progress === "number" ? "ACTIVE" : "PENDING";
  if (status === "SUCCESSFUL") progress = 100;
  const mediaId = at(r, R.mediaId);
  const created = at(r, R.created);
  return {
    mediaId, status, progress: typeof progress === "number" ? progress : null,
    title: at(r, R.title) || (titles && titles.get(mediaId)) || "",
    prompt: at(r, R.prompt) || "", error: status === "FAILED" ? at(r, R.error) || "" : null,
    createdAt: Array.isArray(created) ? created[0] + (created[1] || 0) / 1e9 : 0,
    agent: !!at(r, R.agent), modelKey: at(r, R.modelKey), duration: at(r, R.duration),
    thumbnailUrl: at(r, R.posterUrl), videoUrl: at(r, R.videoUrl),
    previewUrl: at(r, R.previewUrl), opaqueThumbnailUrl: at(r, R.opaqueThumbnailUrl),
  };
}

/** Every record of a list (submit reply r[3], poll reply r[2]). */
export function records(list, titles = null) {
  return (Array.isArray(list) ? list : []).map((r) => record(r, titles)).filter((m) => m.mediaId);
}

/** The submit reply: {credits, items, records} (r[1], r[2], r[3]). */
export function submitReply(res, titles = null) {
  return { credits: at(res, [1]), items: items(at(res, [2])), records: records(at(res, [3]), titles) };
}

/** The poll reply: {credits, records} (r[1], r[2]). */
export function pollReply(res, titles = null) {
  return { credits: at(res, [1]), records: records(at(res, [2]), titles) };
}

/** The balance of a credits reply (nzlxg: [balance, …]). */
export function credits(res) { return at(res, [0]); }

/** The upload reply: {mediaId, projectId, fileName}. */
export function uploadReply(res) {
  return { mediaId: at(res, UP.mediaId), projectId: at(res, UP.projectId), fileName: at(res, UP.fileName) };
}
