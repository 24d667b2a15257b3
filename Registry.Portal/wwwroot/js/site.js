// Progressive enhancement only: every page works without this file.
// - [data-copy="text"] buttons copy their text to the clipboard.
// - [data-confirm="question"] on a form, or on the button that submits it, asks before submitting
//   (the button's question wins: a form with several buttons confirms only the dangerous one).
document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(() => {
        const previous = button.textContent;
        button.textContent = "Copied";
        setTimeout(() => { button.textContent = previous; }, 1500);
    }, () => { /* clipboard refused: the text stays visible to copy by hand */ });
});

document.addEventListener("submit", (event) => {
    const form = event.target;
    const submitter = event.submitter;
    const question = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
});
