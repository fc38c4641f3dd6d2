/* A report's public page: photos and the feedback form come from GET /api/v1/reports/{code}
   (the same answer apps get); the reporter or a follower confirms with a rating, or says it
   is not fixed, through the API. */
(function () {
  "use strict";
  var civicpin = window.civicpin || {};
  var t = civicpin.t;
  var node = document.getElementById("page-config");
  if (!node) return;
  var config = JSON.parse(node.textContent);

  civicpin.api(config.detail_url).then(function (answer) {
    if (!answer.ok || !answer.data) return;
    var report = answer.data.properties || answer.data;
    showPhotos(report.photos || []);
    var feedback = report.feedback;
    if (feedback && feedback.open && feedback.can_respond) document.getElementById("feedback").hidden = false;
    if (report.rating) {
      var summary = document.getElementById("rating-summary");
      var rating = typeof report.rating === "object" ? report.rating : { rating: report.rating };
      summary.textContent = t("rated").replace("%s", rating.rating || rating.average || "");
      summary.hidden = false;
    }
  });

  function showPhotos(photos) {
    if (!photos.length) return;
    var box = document.getElementById("photos");
    box.replaceChildren();
    photos.forEach(function (photo) {
      var figure = document.createElement("figure");
      var link = document.createElement("a");
      link.href = photo.url;
      var img = document.createElement("img");
      img.src = photo.thumbnail_url || photo.url;
      img.alt = photo.kind === "after" ? t("photo_after") : t("photo_before");
      img.loading = "lazy";
      link.appendChild(img);
      var caption = document.createElement("figcaption");
      caption.className = "small";
      caption.textContent = img.alt;
      figure.appendChild(link);
      figure.appendChild(caption);
      box.appendChild(figure);
    });
  }

  var form = document.getElementById("feedback-form");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var action = event.submitter ? event.submitter.value : "confirm";
    var errors = document.getElementById("feedback-errors");
    var comment = form.comment.value.trim();
    var body;
    var url;
    if (action === "confirm") {
      var chosen = form.querySelector("input[name=rating]:checked");
      if (!chosen) { civicpin.showError(errors, t("need_rating")); return; }
      body = { rating: parseInt(chosen.value, 10), comment: comment };
      url = config.confirm_url;
    } else {
      if (!comment) { civicpin.showError(errors, t("need_comment")); return; }
      body = { comment: comment };
      url = config.not_fixed_url;
    }
    civicpin.api(url, { body: body }).then(function (answer) {
      if (answer.ok) { window.location.reload(); return; }
      civicpin.showError(errors, civicpin.errorText(answer.data, answer.status));
    });
  });
})();
