/* A report's public page: the feedback form appears when GET /api/v1/reports/{code} says
   this reader may answer the resolution; the reporter or a follower then confirms with a
   rating, or says it is not fixed, through the API. */
(function () {
  "use strict";
  var civicpin = window.civicpin || {};
  var t = civicpin.t;
  var node = document.getElementById("page-config");
  if (!node) return;
  var config = JSON.parse(node.textContent);

  // Whether this reader may still answer the resolution is the API's rule: ask it.
  civicpin.api(config.detail_url).then(function (answer) {
    if (!answer.ok || !answer.data) return;
    var report = answer.data.properties || answer.data;
    var feedback = report.feedback;
    if (feedback && feedback.open && feedback.can_respond) document.getElementById("feedback").hidden = false;
  });

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
