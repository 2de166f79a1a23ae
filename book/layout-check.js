// The layout check behind tests/book_screenshot.sh. On a page opened with `?layout-check`, it
// reports what a reader would see broken at this window's width: an image that did not load, an
// image or a code listing wider than its column (a listing's long lines are cut off behind a
// scroll bar). The report is a <pre id="layout-check"> the script's caller reads from the DOM.
// On any other page it does nothing.
window.addEventListener("load", function () {
    if (!location.search.includes("layout-check")) {
        return;
    }
    var problems = [];
    document.querySelectorAll("main img").forEach(function (img) {
        var name = img.getAttribute("src");
        if (!img.complete || img.naturalWidth === 0) {
            problems.push("image missing: " + name);
        } else if (img.getBoundingClientRect().right > window.innerWidth) {
            problems.push("image clipped: " + name);
        }
    });
    document.querySelectorAll("main pre > code").forEach(function (pre) {
        if (pre.scrollWidth > pre.clientWidth + 1) {
            var first = (pre.textContent || "").split("\n").find(function (line) {
                return line.trim() !== "";
            });
            problems.push("listing clipped (" + pre.scrollWidth + " > " + pre.clientWidth +
                " px): " + (first || "").trim().slice(0, 60));
        }
    });
    var report = document.createElement("pre");
    report.id = "layout-check";
    report.textContent = "layout-check: " + document.querySelectorAll("main img").length +
        " images\n" + problems.join("\n");
    document.body.appendChild(report);
});
