"""Helpers of the browser tests (imported by conftest.py and the test modules).

Pages that refuse every outside request, artifacts for a failed test, and axe-core runs.
"""
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


def _local(url: str) -> bool:
    return url.startswith(("file://", "data:", "blob:", "about:")) or re.match(
        r"^(https?|wss?)://127\.0\.0\.1(:\d+)?/", url) is not None


def guarded_page(browser, width=1280, height=900):
    """A page in a new context that refuses every request not to a local file or 127.0.0.1.

    ``page.blocked`` lists the refused URLs, ``page.console`` the console messages and page
    errors. Close it with ``page.context.close()``.
    """
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.blocked = []
    page.console = []
    page.on("console", lambda msg: page.console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: page.console.append(f"page error: {err}"))

    def guard(route):
        if _local(route.request.url):
            route.continue_()
        else:
            page.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page.set_default_timeout(30_000)
    return page


def save_artifacts(page, name):
    """A screenshot and the console of ``page`` in ``test-artifacts/``, for a failed test."""
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(page.console), encoding="utf-8")
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    except Exception as err:  # a crashed page must not hide the test's own failure
        print(f"could not save a screenshot: {err}", file=sys.stderr)


def failed(request):
    return any(getattr(getattr(request.node, f"report_{when}", None), "failed", False)
               for when in ("setup", "call"))


def run_axe(page, axe_script, context=None, options=None):
    """Run axe-core in ``page`` on ``context`` (default the whole document); its result dict.

    ``context`` is axe's context object, e.g. ``{"include": [[".a"]], "exclude": [[".b"]]}``.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script))
    return page.evaluate(
        "async ([context, options]) => await axe.run(context || document, options || {})",
        [context, options or {"resultTypes": ["violations"]}])


def serious_violations(result):
    """Lines naming each serious or critical axe violation and the elements it was found on."""
    lines = []
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = ", ".join(" ".join(map(str, n["target"]))[-90:]
                                for n in violation["nodes"][:4])
            lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} "
                         f"({len(violation['nodes'])} elements, e.g. {targets})")
    return lines
