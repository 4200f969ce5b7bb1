// Live timelines: a timeline with data-stream (the newest page of the home
// and public timelines) listens to the streaming server, shows new notes at
// the top and drops deleted ones. Without JavaScript the page stays as served.
(function () {
  "use strict";
  var timeline = document.querySelector("#timeline[data-stream]");
  if (!timeline || !window.EventSource) return;

  function link(href, className, children) {
    var a = document.createElement("a");
    a.href = href;
    a.className = className;
    children.forEach(function (child) { a.appendChild(child); });
    return a;
  }

  function span(className, text) {
    var s = document.createElement("span");
    s.className = className;
    s.textContent = text;
    return s;
  }

  // Mirrors web/partials/post.html.
  function article(status) {
    var post = document.createElement("article");
    post.className = "post h-entry";
    post.id = "post-" + status.id;
    var header = document.createElement("header");
    var account = status.account;
    header.appendChild(link(account.url, "author p-author h-card", [
      span("p-name", account.display_name || account.username),
      span("handle", "@" + account.acct),
    ]));
    var time = document.createElement("time");
    time.className = "dt-published";
    time.dateTime = status.created_at;
    time.textContent = "now";
    header.appendChild(link(status.url, "u-url permalink", [time]));
    var content = document.createElement("div");
    content.className = "e-content";
    // The server sanitised this HTML on write, as for the served page.
    content.innerHTML = status.content;
    var filtered = status.filtered || (status.reblog && status.reblog.filtered);
    if (filtered && filtered.length) {
      // Collapsed behind its promotional label, as the served page does.
      post.className += " promotional";
      var details = document.createElement("details");
      details.className = "promotion";
      var summary = document.createElement("summary");
      summary.appendChild(span("promotional-label", filtered[0].filter.title));
      summary.appendChild(document.createTextNode(" "));
      summary.appendChild(span("open-hint", "Show post"));
      details.appendChild(summary);
      details.appendChild(header);
      details.appendChild(content);
      post.appendChild(details);
      return post;
    }
    post.appendChild(header);
    post.appendChild(content);
    return post;
  }

  // The session cookie signs the home stream in.
  var source = new EventSource(timeline.dataset.stream, { withCredentials: true });
  source.addEventListener("update", function (event) {
    var status = JSON.parse(event.data);
    if (document.getElementById("post-" + status.id)) return;
    var empty = timeline.querySelector(".empty");
    if (empty) empty.remove();
    timeline.prepend(article(status));
  });
  source.addEventListener("delete", function (event) {
    var gone = document.getElementById("post-" + event.data);
    if (gone) gone.remove();
  });
})();
