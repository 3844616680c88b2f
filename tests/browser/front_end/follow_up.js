// Lists the follow-ups due and marks one done, calling the API straight from the browser.
//
// The address's fragment carries the API's base URL and the credential:
//   index.html#api=https://api.example.com&token=fu_...
// A fragment never leaves the browser: it is not sent to the page's server nor in a
// Referer. <body data-state> says what the page is doing: loading, ready, saving or error.

"use strict";

const settings = new URLSearchParams(window.location.hash.slice(1));
const apiBase = settings.get("api");
const token = settings.get("token");

class ApiError extends Error {
  constructor(status, problem, requestId) {
    super(`${status} ${problem.title}: ${problem.detail ?? ""}`);
    this.status = status;
    this.problem = problem;
    this.requestId = requestId;
  }
}

// Every call sends the bearer credential; a write also sends JSON and an Idempotency-Key,
// so a retry after a lost answer cannot mark anything twice. Together they make the
// browser ask the API first (a CORS preflight).
async function call(method, path, body) {
  const headers = { Authorization: `Bearer ${token}` };
  const request = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["Idempotency-Key"] = crypto.randomUUID();
    request.body = JSON.stringify(body);
  }
  const response = await fetch(apiBase + path, request);
  // Readable because the API exposes it to the allowed origin.
  const requestId = response.headers.get("X-Request-ID");
  const answer = await response.json();
  if (!response.ok) {
    throw new ApiError(response.status, answer, requestId);
  }
  return answer;
}

function actionItem(action) {
  const item = document.createElement("li");
  item.dataset.actionId = action.id;
  item.dataset.status = action.status;
  const title = document.createElement("span");
  title.className = "title";
  title.textContent = action.title; // text, never markup: titles carry people's names
  item.append(title);
  return item;
}

function showDue(actions) {
  document.getElementById("due").replaceChildren(
    ...actions.map((action) => {
      const item = actionItem(action);
      const done = document.createElement("button");
      done.type = "button";
      done.textContent = "Done";
      done.addEventListener("click", () => complete(action).catch(showError));
      item.append(" ", done);
      return item;
    }),
  );
}

async function loadDue() {
  document.body.dataset.state = "loading";
  // The first page is all this page shows.
  const page = await call("GET", "/v1/actions?status=due");
  showDue(page.data);
  document.body.dataset.state = "ready";
}

async function complete(action) {
  document.body.dataset.state = "saving";
  const marked = await call("POST", `/v1/actions/${encodeURIComponent(action.id)}/complete`, {});
  document.getElementById("done").append(actionItem(marked));
  await loadDue();
}

function showError(error) {
  const message = document.getElementById("error");
  message.textContent =
    error instanceof ApiError ? `${error.message} (request ${error.requestId})` : String(error);
  message.hidden = false;
  document.body.dataset.state = "error";
}

loadDue().catch(showError);
