// The workspace's checklist form, progressively enhanced (the form works the same without it):
// - a "Why it does not apply" box shows only while its row says the provision does not apply;
// - "Add another link" adds an empty link group in the page instead of a round trip;
// - Enter in a text box saves and comes back to the category being worked in.
(function () {
  "use strict";

  function reasons() {
    Array.prototype.forEach.call(document.querySelectorAll(".na-reason[data-applicable]"), function (box) {
      var select = document.getElementById(box.getAttribute("data-applicable"));
      if (!select) { return; }
      var sync = function () { box.hidden = select.value !== "no"; };
      select.addEventListener("change", sync);
      sync();
    });
  }

  function blank(group, index) {
    var copy = group.cloneNode(true);
    var rename = function (value) { return value.replace(/-new-\d+-/g, "-new-" + index + "-"); };
    Array.prototype.forEach.call(copy.querySelectorAll("[id], [name], [for], [aria-describedby]"), function (el) {
      ["id", "name", "for", "aria-describedby"].forEach(function (attr) {
        if (el.hasAttribute(attr)) { el.setAttribute(attr, rename(el.getAttribute(attr))); }
      });
    });
    Array.prototype.forEach.call(copy.querySelectorAll(".error-message, [role=status]"), function (el) {
      el.parentNode.removeChild(el);
    });
    Array.prototype.forEach.call(copy.querySelectorAll(".field-error"), function (el) {
      el.classList.remove("field-error");
    });
    Array.prototype.forEach.call(copy.querySelectorAll("input, textarea, select"), function (el) {
      el.removeAttribute("aria-invalid");
      if (el.tagName === "SELECT") { el.selectedIndex = 0; } else { el.value = ""; }
      var hint = el.id + "-hint";
      el.setAttribute("aria-describedby", copy.querySelector("[id='" + hint + "']") ? hint : "");
      if (!el.getAttribute("aria-describedby")) { el.removeAttribute("aria-describedby"); }
    });
    Array.prototype.forEach.call(copy.querySelectorAll("details"), function (d) { d.open = false; });
    return copy;
  }

  function links() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("button[name=add_link]");
      if (!button) { return; }
      var box = button.closest(".new-links");
      var groups = box.querySelectorAll(".new-link");
      var max = parseInt(box.getAttribute("data-max"), 10) || 10;
      if (!groups.length || groups.length >= max) { return; }  // the server says why
      event.preventDefault();
      var copy = blank(groups[groups.length - 1], groups.length);
      groups[groups.length - 1].parentNode.insertBefore(copy, groups[groups.length - 1].nextSibling);
      var first = copy.querySelector("select");
      if (first) { first.focus(); }
      if (groups.length + 1 >= max) { button.hidden = true; }
    });
  }

  // Enter in a text box presses the form's first button (the one at the top): the save then
  // comes back to the category being worked in, as that category's own button would.
  function enter() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.classList.contains("checklist-form") || (event.submitter && event.submitter.name)) { return; }
      var section = document.activeElement && document.activeElement.closest(".category-section");
      if (!section) { return; }
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "section";
      input.value = section.id.replace(/^cat-/, "");
      form.appendChild(input);
    });
  }

  reasons();
  links();
  enter();
}());
