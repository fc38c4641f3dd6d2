/* The reports vector tiles on a map (public map, officials' desk): counted cells when zoomed
   out (MVT layer report_cells), one point per report from z16 (layer reports), coloured by
   status, overdue ones ringed in red. Clicking a point opens a link to its page. */
(function () {
  "use strict";
  var civicpin = window.civicpin || {};
  var map = civicpin.map;
  var config = civicpin.config || {};
  if (!map || !config.reports || !L.vectorGrid) return;
  var colours = config.status_colours || {};
  var labels = config.status_labels || {};

  function cellRadius(count) { return Math.min(4 + Math.sqrt(count) * 2, 22); }

  var layer = L.vectorGrid.protobuf(config.reports, {
    interactive: true,
    maxNativeZoom: 18,
    getFeatureId: function (feature) { return feature.properties.tracking_code; },
    vectorTileLayerStyles: {
      reports: function (p) {
        return {
          radius: 7, fill: true, fillOpacity: 0.95, fillColor: colours[p.status] || "#777",
          color: p.overdue ? "#b00000" : "#222", weight: p.overdue ? 3 : 1,
        };
      },
      report_cells: function (p) {
        return {
          radius: cellRadius(p.count || 1), fill: true, fillOpacity: 0.7,
          fillColor: p.overdue_count > 0 ? "#d7301f" : "#2b8cbe", color: "#fff", weight: 1,
        };
      },
    },
  });
  layer.on("click", function (event) {
    var p = event.layer && event.layer.properties;
    if (!p) return;
    var box = document.createElement("div");
    if (p.tracking_code) {
      var link = document.createElement("a");
      link.href = config.report_url.replace("CODE", encodeURIComponent(p.tracking_code));
      link.textContent = p.tracking_code;
      box.appendChild(link);
      box.appendChild(document.createTextNode(" · " + (labels[p.status] || p.status)));
    } else {
      box.textContent = civicpin.t("reports_here").replace("%s", p.count);
    }
    L.popup().setLatLng(event.latlng).setContent(box).openOn(map);
  });
  layer.addTo(map);
  civicpin.reportsLayer = layer;
})();
