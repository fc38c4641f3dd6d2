/* The reporting form: pin by tapping the map or with "my location", see open reports of the
   same category nearby (and support one), then file through POST /api/v1/reports as
   multipart (photos included) with the session's CSRF token. */
(function () {
  "use strict";
  var civicpin = window.civicpin || {};
  var map = civicpin.map;
  var config = civicpin.config || {};
  var t = civicpin.t;
  var form = document.getElementById("report-form");
  if (!form || !map) return;
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var accuracy = document.getElementById("accuracy_m");
  var category = document.getElementById("category");
  var status = document.getElementById("pin-status");
  var errors = document.getElementById("form-errors");
  var marker = null;
  var idempotencyKey = newKey();

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function pin(latlng, accuracyM) {
    lat.value = latlng.lat.toFixed(7);
    lon.value = latlng.lng.toFixed(7);
    accuracy.value = accuracyM ? Math.round(accuracyM) : "";
    if (marker) marker.setLatLng(latlng);
    else marker = L.circleMarker(latlng, { radius: 10, color: "#8c1d18", weight: 3, fillColor: "#ffbf47", fillOpacity: 0.9 }).addTo(map);
    status.textContent = t("pinned").replace("%s", lat.value + ", " + lon.value);
    loadNearby();
  }

  map.on("click", function (event) { pin(event.latlng, null); });
  // Keyboard: move the map with the arrow keys, then Enter pins its centre.
  map.getContainer().addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target === map.getContainer()) {
      event.preventDefault();
      pin(map.getCenter(), null);
    }
  });

  document.getElementById("use-location").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = t("no_geolocation"); return; }
    status.textContent = t("locating");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
        map.setView(latlng, Math.max(map.getZoom(), 17));
        pin(latlng, position.coords.accuracy);
      },
      function () { status.textContent = t("location_denied"); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });

  category.addEventListener("change", loadNearby);

  function loadNearby() {
    var section = document.getElementById("nearby");
    var list = document.getElementById("nearby-list");
    if (!config.nearby_url || !lat.value || !category.value) { section.hidden = true; return; }
    var query = new URLSearchParams({ lat: lat.value, lon: lon.value, category: category.value, radius_m: "250" });
    civicpin.api(config.nearby_url + "?" + query.toString()).then(function (answer) {
      if (!answer.ok) { section.hidden = true; return; }
      var items = answer.data || [];
      if (items.features) items = items.features.map(function (f) { return Object.assign({}, f.properties, { tracking_code: f.properties.tracking_code || f.id }); });
      if (items.results) items = items.results;
      list.replaceChildren();
      items.forEach(function (item) { list.appendChild(nearbyItem(item)); });
      section.hidden = items.length === 0;
    });
  }

  function nearbyItem(item) {
    var node = document.getElementById("nearby-item").content.firstElementChild.cloneNode(true);
    var link = node.querySelector(".nearby-link");
    link.href = config.report_url.replace("CODE", encodeURIComponent(item.tracking_code));
    link.textContent = item.tracking_code;
    node.querySelector(".nearby-distance").textContent =
      t("metres_away").replace("%s", Math.round(item.distance_m || 0)) +
      (item.supporters_count ? " · " + t("supporters").replace("%s", item.supporters_count) : "");
    var button = node.querySelector(".nearby-support");
    button.addEventListener("click", function () {
      button.disabled = true;
      civicpin.api(config.support_url.replace("CODE", encodeURIComponent(item.tracking_code)), { body: {} })
        .then(function (answer) {
          button.textContent = answer.ok ? t("supported") : civicpin.errorText(answer.data, answer.status);
        });
    });
    return node;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    civicpin.showError(errors, "");
    var problems = [];
    if (!lat.value) problems.push(t("need_location"));
    if (!category.value) problems.push(t("need_category"));
    if (!form.description.value.trim()) problems.push(t("need_description"));
    var photos = document.getElementById("photos").files;
    if (photos.length > (config.max_photos || 4)) problems.push(t("too_many_photos"));
    if (problems.length) { civicpin.showError(errors, problems.join("\n")); return; }
    var data = new FormData();
    data.set("category", category.value);
    data.set("description", form.description.value);
    data.set("location", JSON.stringify({ type: "Point", coordinates: [parseFloat(lon.value), parseFloat(lat.value)] }));
    if (accuracy.value) data.set("accuracy_m", accuracy.value);
    Array.prototype.forEach.call(photos, function (file) { data.append("photos", file); });
    var button = document.getElementById("submit-report");
    button.disabled = true;
    button.textContent = t("sending");
    civicpin.api(config.create_url, { body: data, headers: { "Idempotency-Key": idempotencyKey } }).then(function (answer) {
      button.disabled = false;
      button.textContent = t("send");
      if (!answer.ok) { civicpin.showError(errors, civicpin.errorText(answer.data, answer.status)); return; }
      showResult(answer.data);
    });
  });

  function showResult(report) {
    var result = document.getElementById("result");
    document.getElementById("result-code").textContent = report.tracking_code;
    document.getElementById("result-area").textContent = report.area ? report.area.name : "–";
    document.getElementById("result-agency").textContent = report.agency ? report.agency.name : "–";
    document.getElementById("result-due").textContent = civicpin.formatDate(report.due_at);
    document.getElementById("result-link").href = config.report_url.replace("CODE", encodeURIComponent(report.tracking_code));
    form.hidden = true;
    result.hidden = false;
    result.focus();
    idempotencyKey = newKey();
  }
})();
