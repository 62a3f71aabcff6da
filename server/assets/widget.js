/* Web+ chat widget. Include with
 *   <script src="https://YOUR-WEBPLUS-HOST/widget.js" data-kb="PUBLIC_ID" async></script>
 * Optional: data-title="Ask us". Self-contained, no dependencies. Answers and sources are only
 * ever added as text nodes, never parsed as HTML. The bubble and panel live in a Shadow DOM so the
 * page's styles and ours do not mix. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.kb) return;
  var kb = script.dataset.kb;
  var api = new URL(script.src, location.href).origin + "/api/widget/" + encodeURIComponent(kb) + "/chat";
  var title = script.dataset.title || "Ask a question";
  var MAX_TURNS = 6, MAX_CHARS = 2000;
  var history = [];
  var busy = false;

  var CSS =
    ":host{all:initial}*{box-sizing:border-box;font:14px/1.45 system-ui,sans-serif}" +
    ".bubble{position:fixed;right:20px;bottom:20px;z-index:2147483647;width:56px;height:56px;border-radius:50%;" +
    "border:0;background:#2b59c3;color:#fff;font-size:26px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".panel{position:fixed;right:20px;bottom:88px;z-index:2147483647;width:min(380px,calc(100vw - 40px));" +
    "height:min(540px,calc(100vh - 120px));display:flex;flex-direction:column;background:#fff;color:#1d1d1f;" +
    "border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden}.panel[hidden]{display:none}" +
    "header{display:flex;align-items:center;justify-content:space-between;padding:10px 14px;background:#2b59c3;color:#fff}" +
    "header h2{margin:0;font-size:15px;font-weight:600}" +
    ".close{border:0;background:none;color:#fff;font-size:20px;cursor:pointer;padding:0 4px}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px}" +
    ".msg{white-space:pre-wrap;word-wrap:break-word;padding:8px 11px;border-radius:10px;max-width:90%}" +
    ".user{align-self:flex-end;background:#2b59c3;color:#fff}.bot{align-self:flex-start;background:#f0f1f4}" +
    ".err{align-self:stretch;background:#fdecea;color:#8a1c12}" +
    ".sources{margin:6px 0 0;padding-left:20px;font-size:12px}.sources a{color:#2b59c3}" +
    ".sources .heading{display:block;color:#5f6168}.sources summary{cursor:pointer;color:#5f6168}" +
    ".sources .passage{white-space:pre-wrap;margin:2px 0 4px}" +
    "form{display:flex;gap:6px;padding:10px;border-top:1px solid #e3e4e8}" +
    "textarea{flex:1;resize:none;height:42px;padding:8px;border:1px solid #c5c7cf;border-radius:8px}" +
    ".send{border:0;border-radius:8px;background:#2b59c3;color:#fff;padding:0 14px;cursor:pointer}" +
    ".send:disabled{opacity:.5;cursor:default}:focus-visible{outline:2px solid #f5a623;outline-offset:2px}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.appendChild(document.createTextNode(text));
    return e;
  }

  var host = el("div", { "data-webplus-widget": "" });
  var root = host.attachShadow({ mode: "open" });
  try {
    // A constructed sheet also works on pages whose CSP forbids inline <style>.
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (_) {
    root.appendChild(el("style", {}, CSS));
  }
  var bubble = el("button", { type: "button", class: "bubble", "aria-label": "Open chat", "aria-expanded": "false", "aria-controls": "wp-panel" }, "\u{1F4AC}");
  var panel = el("div", { id: "wp-panel", class: "panel", role: "dialog", "aria-label": title, hidden: "" });
  var header = el("header");
  var close = el("button", { type: "button", class: "close", "aria-label": "Close chat" }, "\u00D7");
  header.append(el("h2", {}, title), close);
  var log = el("div", { class: "log", role: "log", "aria-live": "polite" });
  var form = el("form");
  var input = el("textarea", { id: "wp-q", maxlength: String(MAX_CHARS), placeholder: "Type your question", required: "" });
  var send = el("button", { type: "submit", class: "send" }, "Send");
  form.append(el("label", { for: "wp-q", class: "sr" }, "Your question"), input, send);
  panel.append(header, log, form);
  root.append(bubble, panel);
  (document.body || document.documentElement).appendChild(host);

  function toggle(open) {
    panel.hidden = !open;
    bubble.setAttribute("aria-expanded", String(open));
    bubble.setAttribute("aria-label", open ? "Close chat" : "Open chat");
    (open ? input : bubble).focus();
  }
  bubble.addEventListener("click", function () { toggle(panel.hidden); });
  close.addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });

  function add(cls, text) {
    var m = el("div", { class: "msg " + cls }, text);
    log.appendChild(m);
    log.scrollTop = log.scrollHeight;
    return m;
  }

  function showSources(msg, sources) {
    if (!sources.length) return;
    var ol = el("ol", { class: "sources", "aria-label": "Sources" });
    sources.forEach(function (s) {
      var li = el("li", { value: String(s.n) });
      var safe = null;
      try { safe = s.url && /^https?:$/.test(new URL(s.url).protocol) ? s.url : null; } catch (_) {}
      li.appendChild(safe ? el("a", { href: safe, target: "_blank", rel: "noopener noreferrer" }, s.title || safe) : document.createTextNode(s.title || "Source " + s.n));
      // The sections the passages came from, and the passages behind a toggle, as in the chat.
      var sections = s.sections || [];
      sections.forEach(function (p) {
        if (p.heading_path) li.appendChild(el("span", { class: "heading" }, "\u203a " + p.heading_path));
      });
      if (sections.length) {
        var details = el("details", {});
        details.appendChild(el("summary", {}, sections.length > 1 ? "Passages" : "Passage"));
        sections.forEach(function (p) { details.appendChild(el("p", { class: "passage" }, p.text)); });
        li.appendChild(details);
      }
      ol.appendChild(li);
    });
    msg.after(ol);
  }

  async function failure(res) {
    if (res.status === 429) {
      return "Too many questions, try again in " + (res.headers.get("retry-after") || "a few") + " s.";
    }
    try { return (await res.json()).error.message; } catch (_) { return "Sorry, the assistant is unavailable (" + res.status + ")."; }
  }

  async function ask(question) {
    busy = true;
    send.disabled = true;
    log.setAttribute("aria-busy", "true");
    add("user", question);
    var turns = history.slice(-MAX_TURNS);
    history.push({ role: "user", content: question });
    var answer = add("bot", "");
    var text = answer.appendChild(document.createTextNode(""));
    try {
      var res = await fetch(api, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ question: question, history: turns }),
      });
      if (!res.ok || !res.body) throw new Error(await failure(res));
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buf = "", ended = false;
      while (!ended) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buf += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n");
        var end;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          var frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          var name = "message", data = [];
          frame.split("\n").forEach(function (line) {
            if (line.indexOf("event:") === 0) name = line.slice(6).trim();
            else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
          });
          if (!data.length) continue;
          var payload = JSON.parse(data.join("\n"));
          if (name === "sources") showSources(answer, payload);
          else if (name === "delta") { text.appendData(payload.text); log.scrollTop = log.scrollHeight; }
          else if (name === "error") throw new Error(payload.message);
          else if (name === "done") ended = true;
        }
      }
      if (!ended) throw new Error("The answer was cut off; please ask again.");
      history.push({ role: "assistant", content: text.data.slice(0, MAX_CHARS) });
    } catch (e) {
      if (!text.data) answer.remove();
      history.pop();
      add("err", e instanceof TypeError ? "Could not reach the assistant." : e.message);
    } finally {
      busy = false;
      send.disabled = false;
      log.removeAttribute("aria-busy");
      input.focus();
    }
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value.trim();
    if (!q || busy) return;
    input.value = "";
    ask(q);
  });
})();
