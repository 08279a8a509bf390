// Quick checks: feedback in the page for the quizzes that `{{#quiz NAME}}`
// renders (see mdbook-runner/src/quiz.rs). Without JavaScript each question
// still has its "Show the answer" fold.
(function () {
  "use strict";

  function normalise(text) {
    return text.trim().toLowerCase();
  }

  function say(question, right, text) {
    var feedback = question.querySelector(".quiz-feedback");
    feedback.hidden = false;
    feedback.textContent = text;
    feedback.classList.toggle("quiz-right", right);
    feedback.classList.toggle("quiz-wrong", !right);
    question.classList.toggle("quiz-done", right);
    if (right) {
      question.querySelector(".quiz-answer").open = true;
    }
  }

  function setUpChoices(question) {
    var answer = question.getAttribute("data-answer");
    question.querySelectorAll(".quiz-option").forEach(function (button) {
      button.addEventListener("click", function () {
        var right = button.getAttribute("data-index") === answer;
        button.classList.add(right ? "quiz-right" : "quiz-wrong");
        say(question, right, right ? "Right!" : "Not quite: try another one.");
      });
    });
  }

  function setUpShort(question) {
    var accepted = question.getAttribute("data-accept").split("\n");
    var input = question.querySelector(".quiz-input");
    var check = function () {
      var right = accepted.indexOf(normalise(input.value)) !== -1;
      say(question, right, right ? "Right!" : "Not quite: try again.");
    };
    question.querySelector(".quiz-check").addEventListener("click", check);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        check();
      }
    });
  }

  document.querySelectorAll(".quiz-question").forEach(function (question) {
    if (question.getAttribute("data-kind") === "short") {
      setUpShort(question);
    } else {
      setUpChoices(question);
    }
  });
})();
