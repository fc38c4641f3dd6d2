/* civicpin: helpers every page shares. No build step, no inline handlers.
   - the ward polygons as the map's background (our own `areas` vector tiles);
   - fetch() to our API with the session's CSRF token, and readable error text;
   - forms marked .api-form post to their data-api URL and reload the page;
   - tables marked .sortable sort by a column when its heading button is pressed. */
(function () {
  "use strict";
  var civicpin = (window.civicpin = window.civicpin || {});

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  civicpin.config = readJSON("map-config") || {};
  civicpin.texts = readJSON("texts") || {};
  civicpin.t = function (key) { return civicpin.texts[key] || key; };

  if (window.L && L.DomEvent && !L.DomEvent.fakeStop) {
    // Leaflet.VectorGrid 1.3 calls this helper, which Leaflet 1.8 removed.
    L.DomEvent.fakeStop = function (e) { e._stopped = true; };
  }

  civicpin.csrfToken = function () {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };

  /* POST/GET to our API; resolves to {ok, status, data}. `body` is FormData or an object. */
  civicpin.api = function (url, options) {
    options = options || {};
    var headers = { Accept: "application/json", "X-CSRFToken": civicpin.csrfToken() };
    var body = options.body;
    if (body && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    Object.assign(headers, options.headers || {});
    return fetch(url, {
      method: options.method || (body ? "POST" : "GET"),
      headers: headers,
      body: body,
      credentials: "same-origin",
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  };

  /* DRF error bodies ({"field": ["msg"]} or {"detail": "msg"}) as lines of text. */
  civicpin.errorText = function (data, status) {
    if (!data) return civicpin.t("error") + " (" + status + ")";
    var lines = [];
    Object.keys(data).forEach(function (key) {
      if (key === "code") return;
      var value = data[key];
      var text = Array.isArray(value) ? value.join(" ") : typeof value === "object" ? JSON.stringify(value) : String(value);
      lines.push(key === "detail" || key === "non_field_errors" ? text : key + ": " + text);
    });
    return lines.join("\n") || civicpin.t("error");
  };

  civicpin.showError = function (box, text) {
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
    if (text) box.focus && box.setAttribute("tabindex", "-1");
  };

  civicpin.formatDate = function (iso) {
    if (!iso) return "–";
    var lang = document.documentElement.lang || "vi";
    return new Intl.DateTimeFormat(lang, {
      dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Ho_Chi_Minh",
    }).format(new Date(iso));
  };

  /* The ward polygons, drawn from /tiles/areas/, under everything else. */
  civicpin.addAreas = function (map) {
    if (!map || !civicpin.config.areas || !L.vectorGrid) return null;
    var layer = L.vectorGrid.protobuf(civicpin.config.areas, {
      rendererFactory: L.canvas.tile,
      interactive: false,
      maxNativeZoom: 18,
      vectorTileLayerStyles: {
        areas: { weight: 1, color: "#5b6670", fill: true, fillColor: "#f7f4ec", fillOpacity: 0.85 },
      },
    });
    layer.addTo(map);
    layer.bringToBack();
    return layer;
  };
  if (civicpin.map) civicpin.areasLayer = civicpin.addAreas(civicpin.map);

  /* Action forms: multipart POST to the API; on success the page reloads to show the change. */
  document.querySelectorAll("form.api-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var errors = form.querySelector(".form-errors");
      var data = new FormData(form);
      // DRF reads an absent checkbox as false: say "public" explicitly either way.
      if (!data.has("public")) data.set("public", "true");
      var file = form.querySelector("input[type=file]");
      if (file && !file.files.length) data.delete(file.name);
      var button = form.querySelector("[type=submit]");
      if (button) button.disabled = true;
      civicpin.api(form.dataset.api, { body: data }).then(function (answer) {
        if (answer.ok) { window.location.reload(); return; }
        if (button) button.disabled = false;
        civicpin.showError(errors, civicpin.errorText(answer.data, answer.status));
      });
    });
  });

  /* Sortable tables: cells sort by data-value (numbers) or text; empty values last. */
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, column) {
      var button = th.querySelector("button");
      if (!button) return;
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.dataset.type === "number";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        function key(row) {
          var cell = row.cells[column];
          if (!cell) return null;
          var raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
          if (raw === "") return null;
          return numeric ? parseFloat(raw) : raw.toLocaleLowerCase();
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (x === null) return y === null ? 0 : 1;
          if (y === null) return -1;
          var order = numeric ? x - y : String(x).localeCompare(String(y));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
