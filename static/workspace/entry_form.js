// Offer only the chosen list's grounds and tiers; ask before a step with consequences.
(function () {
  "use strict";
  function filterByList() {
    var list = document.getElementById("id_list");
    if (!list) { return; }
    var chosen = list.value;
    document.querySelectorAll("select[data-of-list]").forEach(function (select) {
      Array.prototype.forEach.call(select.options, function (option) {
        var owner = option.getAttribute("data-list");
        var show = !owner || !chosen || owner === chosen;
        option.hidden = !show;
        option.disabled = !show;
        if (!show && option.selected) { select.value = ""; }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("id_list");
    if (list) {
      list.addEventListener("change", filterByList);
      filterByList();
    }
  });
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var text = button && button.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { event.preventDefault(); }
  });
})();
