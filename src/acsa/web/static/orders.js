/* acsa order pages: add and remove line rows, check the new order against the agreement as it
 * is filled in, and ask before an action that cannot be undone. Plain JavaScript, no inline
 * handlers (the pages' Content-Security-Policy allows scripts from this site only). Without
 * it the forms still work: the server checks on save and shows the same problems. */
(function () {
  "use strict";

  var LINE_NAME = /lines-(\d+|__i__)-/g;

  function each(list, fn) {
    Array.prototype.forEach.call(list, fn);
  }

  /* --- actions that cannot be undone ask first --------------------------------------- */

  each(document.querySelectorAll("form[data-confirm]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  var form = document.getElementById("order-form");
  if (!form) {
    return;
  }

  var rows = document.getElementById("line-rows");
  var template = document.getElementById("line-template");
  var addButton = document.getElementById("add-line");
  var status = document.getElementById("check-status");
  var general = document.getElementById("check-general");
  var token = form.querySelector("input[name='csrf']").value;
  var checkUrl = form.getAttribute("data-check-url");
  var legendText = template
    ? template.content.querySelector("[data-legend]").textContent
    : "__n__";
  var removeText = template
    ? template.content.querySelector("[data-remove-line]").textContent
    : "__n__";

  /* --- line rows ---------------------------------------------------------------------- */

  function lineRows() {
    return rows.querySelectorAll("fieldset[data-line]");
  }

  function renameAttribute(element, name, index) {
    var value = element.getAttribute(name);
    if (value) {
      element.setAttribute(name, value.replace(LINE_NAME, "lines-" + index + "-"));
    }
  }

  /* Number the rows 0, 1, ... again: names, ids, labels, error slots and legends. */
  function renumber() {
    var all = lineRows();
    each(all, function (row, index) {
      row.id = "line-" + index;
      each(row.querySelectorAll("[id], [name], [for], [aria-describedby]"), function (el) {
        ["id", "name", "for", "aria-describedby"].forEach(function (name) {
          renameAttribute(el, name, index);
        });
      });
      var lineError = row.querySelector(".field-error[id^='err-line-']");
      if (lineError) {
        lineError.id = "err-line-" + index;
      }
      row.querySelector("[data-legend]").textContent = legendText.replace("__n__", index + 1);
      var remove = row.querySelector("[data-remove-line]");
      remove.textContent = removeText.replace("__n__", index + 1);
      remove.hidden = all.length < 2;
    });
  }

  function lastCurrency() {
    var found = "";
    each(rows.querySelectorAll("input[name$='-currency']"), function (input) {
      if (input.value) {
        found = input.value;
      }
    });
    return found;
  }

  function addLine() {
    var currency = lastCurrency();
    var copy = template.content.firstElementChild.cloneNode(true);
    rows.appendChild(copy);
    renumber();
    var currencyInput = copy.querySelector("input[name$='-currency']");
    if (currencyInput && currency) {
      currencyInput.value = currency;
    }
    copy.querySelector("select").focus();
    scheduleCheck();
  }

  function isBlank(row) {
    var blank = true;
    each(row.querySelectorAll("input, select"), function (el) {
      if (!/-(currency|unit)$/.test(el.name) && el.value.trim() !== "") {
        blank = false;
      }
    });
    return blank;
  }

  function removeLine(row) {
    var next = row.nextElementSibling || row.previousElementSibling;
    row.parentNode.removeChild(row);
    renumber();
    if (next) {
      var focusable = next.querySelector("select, input");
      if (focusable) {
        focusable.focus();
      }
    }
    scheduleCheck();
  }

  if (template && rows && addButton) {
    /* Spare blank rows serve visitors without JavaScript; here a row is added on demand. */
    var spare = rows.querySelectorAll("fieldset[data-spare]");
    each(spare, function (row) {
      if (lineRows().length > 1 && isBlank(row)) {
        row.parentNode.removeChild(row);
      }
    });
    addButton.hidden = false;
    addButton.addEventListener("click", addLine);
    rows.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-line]");
      if (button) {
        removeLine(button.closest("fieldset[data-line]"));
      }
    });
    renumber();
  }

  /* --- the supplier follows the agreement --------------------------------------------- */

  var agreement = document.getElementById("agreement");
  var supplier = document.getElementById("supplier-name");
  var supplierDefault = supplier ? supplier.textContent : "";

  function showSupplier() {
    var option = agreement.options[agreement.selectedIndex];
    var partner = option ? option.getAttribute("data-partner") : "";
    supplier.textContent = partner || supplierDefault;
  }

  if (agreement && supplier) {
    agreement.addEventListener("change", showSupplier);
  }

  /* --- checking as the form is filled in ---------------------------------------------- */

  var timer = null;
  var sequence = 0;
  var shownOnce = false;
  /* Once the form is being sent the server checks it: no check is started then (it would
   * only be cut off by the next page). */
  var sending = false;

  function touch(el) {
    if (el && el.name) {
      el.setAttribute("data-touched", "");
    }
  }

  function fields() {
    var values = {};
    each(form.querySelectorAll("input[name], select[name], textarea[name]"), function (el) {
      if (el.name !== "csrf" && el.name !== "intent" && !el.closest("template")) {
        if (el.type === "checkbox" && !el.checked) {
          return;
        }
        values[el.name] = el.value;
      }
    });
    return values;
  }

  function clearProblems() {
    each(form.querySelectorAll(".field-error"), function (slot) {
      slot.textContent = "";
      slot.hidden = true;
    });
    each(form.querySelectorAll("[aria-invalid='true']"), function (el) {
      el.removeAttribute("aria-invalid");
    });
    general.textContent = "";
    general.hidden = true;
  }

  /* A refusal's detail or an agreement's clause left in English is marked so (a Japanese
   * page reads it with an English voice). */
  function markEnglish(node, text) {
    if (/^[\x00-\x7f]*$/.test(text)) {
      node.lang = "en";
    }
  }

  function problemNode(problem, tag) {
    var node = document.createElement(tag);
    node.setAttribute("data-code", problem.code);
    if (problem.summary) {
      var summary = document.createElement("strong");
      summary.className = "summary";
      summary.textContent = problem.summary;
      node.appendChild(summary);
      node.appendChild(document.createTextNode(" "));
    }
    var message = document.createElement("span");
    message.className = "message";
    if (problem.html) {
      // escaped by the server, with the data it names as written marked lang="en"
      message.innerHTML = problem.html;
    } else {
      message.textContent = problem.message;
      markEnglish(message, problem.message);
    }
    node.appendChild(message);
    if (problem.clause) {
      var clause = document.createElement("span");
      clause.className = "clause-text";
      var label = document.createElement("span");
      label.className = "clause-label";
      label.textContent = form.getAttribute("data-label-clause");
      clause.appendChild(label);
      clause.appendChild(document.createTextNode(" "));
      var text = document.createElement("span");
      text.textContent = problem.clause;
      markEnglish(text, problem.clause);
      clause.appendChild(text);
      node.appendChild(clause);
    }
    return node;
  }

  /* A missing value is reported only once its field was visited: an empty form is not
   * wrong, only unfinished. */
  function reported(problem) {
    if (problem.code !== "MISSING_FIELD") {
      return true;
    }
    var input = problem.target ? document.getElementById(problem.target) : null;
    return input !== null && input.hasAttribute("data-touched");
  }

  /* A warning a person confirms shows its checkbox (kept shown once ticked). */
  var confirmations = document.getElementById("confirmations");

  function showConfirmations(result) {
    if (!confirmations) {
      return;
    }
    var warned = {};
    result.errors.forEach(function (problem) {
      warned[problem.code] = true;
    });
    var any = false;
    each(confirmations.querySelectorAll("[data-confirmation]"), function (box) {
      var input = box.querySelector("input[type='checkbox']");
      var shown = warned[box.getAttribute("data-confirmation")] === true || input.checked;
      box.hidden = !shown;
      any = any || shown;
    });
    confirmations.hidden = !any;
  }

  function show(result) {
    clearProblems();
    showConfirmations(result);
    var count = 0;
    result.errors.forEach(function (problem) {
      if (!reported(problem)) {
        return;
      }
      count += 1;
      var slot = problem.target ? document.getElementById("err-" + problem.target) : null;
      if (slot) {
        slot.appendChild(problemNode(problem, "p"));
        slot.hidden = false;
        var input = document.getElementById(problem.target);
        if (input && input.matches("input, select, textarea")) {
          input.setAttribute("aria-invalid", "true");
        }
      } else {
        var item = problemNode(problem, "li");
        if (problem.where) {
          var where = document.createElement("span");
          where.className = "where";
          where.textContent = problem.where + ": ";
          item.insertBefore(where, item.firstChild);
        }
        general.appendChild(item);
        general.hidden = false;
      }
    });
    /* After a refused save the count at the top is this count too. */
    var counted = document.getElementById("form-problems-count");
    if (counted) {
      var sentence = counted.getAttribute(count === 1 ? "data-one" : "data-many");
      counted.textContent = sentence.replace("{n}", count);
      counted.hidden = count === 0;
    }
    if (result.ok) {
      status.textContent = form.getAttribute("data-msg-ok");
      status.className = "check-status ok";
    } else if (count) {
      status.textContent = form.getAttribute("data-msg-problems").replace("{n}", count);
      status.className = "check-status refused";
    } else {
      status.textContent = "";
      status.className = "check-status";
    }
  }

  function check() {
    timer = null;
    var mine = ++sequence;
    if (!shownOnce) {
      status.textContent = form.getAttribute("data-msg-checking");
    }
    fetch(checkUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": token
      },
      body: JSON.stringify(fields())
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") !== 0) {
          throw new Error("not JSON");
        }
        return response.json();
      })
      .then(function (result) {
        if (mine === sequence) {
          shownOnce = true;
          show(result);
        }
      })
      .catch(function () {
        if (mine === sequence) {
          status.textContent = form.getAttribute("data-msg-failed");
          status.className = "check-status";
        }
      });
  }

  function cancelCheck() {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
  }

  function scheduleCheck(delay) {
    cancelCheck();
    if (sending) {
      return;
    }
    timer = window.setTimeout(check, delay === undefined ? 500 : delay);
  }

  /* What the server reported on the last save stays until the first check replaces it. */
  each(form.querySelectorAll(".field-error:not([hidden])"), function (slot) {
    var input = document.getElementById(slot.id.replace(/^err-/, ""));
    touch(input);
  });

  form.addEventListener("input", function () {
    scheduleCheck(600);
  });
  form.addEventListener("change", function (event) {
    touch(event.target);
    scheduleCheck(150);
  });
  form.addEventListener("focusout", function (event) {
    if (event.target.value !== undefined && event.target.value !== "") {
      touch(event.target);
    }
  });
  form.addEventListener("submit", function () {
    each(form.querySelectorAll("input[name], select[name]"), touch);
    sending = true;
    cancelCheck();
  });
  /* Back on this page from the next one (the browser's cache): checking resumes. */
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      sending = false;
    }
  });

  /* A form shown again after a refused save, or filled in from another order: check now. */
  var filled = false;
  each(form.querySelectorAll("select[name='activity'], input[name$='-description']"), function (el) {
    if (el.value) {
      filled = true;
    }
  });
  if (filled) {
    each(form.querySelectorAll("input[name], select[name]"), function (el) {
      if (el.value) {
        touch(el);
      }
    });
    scheduleCheck(0);
  }
})();
