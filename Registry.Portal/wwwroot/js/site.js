// Progressive enhancement only: every page works without this file.
// - [data-copy="text"] buttons copy their text to the clipboard.
// - forms with [data-confirm="question"] ask before submitting.
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
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
});
