#!/usr/bin/env python3
"""Opens report pages in headless Chromium, as a reader would, and checks them.

Driven over the DevTools protocol with Debian's python3-websocket. For each page, at a
desktop width (1280 px) and a phone width (400 px):

- no script error and no console error;
- the page does not scroll sideways (wide tables and charts scroll in their own box);
- every in-page link has a target, and every link to a file (a trace) finds it;
- on the desktop, chart text is at least 11 px and every chart fits its column;
- every variant's series has a tooltip, and every chart says its values on hover (a
  line's points, a state strip's stretches, a stacked chart's instants);
- a legend entry hides its variant in every chart and shows it again, and a double-click
  shows it alone;
- the step-by-step diagram's messages have tooltips with their times, and "next" and
  "previous" step through them in order.

Usage: check_pages.py CHROMIUM PAGE.html...   Prints one line per page and check; exits 1
if any check fails.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

import websocket  # Debian: python3-websocket

WIDTHS_PX = (1280, 400)
HEIGHT_PX = 900
CHART_TEXT_MIN_PX = 11.0
DESKTOP_PX = 1280


class Browser:
    """One headless Chromium and one page in it, over the DevTools protocol."""

    def __init__(self, chromium):
        # Chromium's helpers may still be writing its profile as it exits.
        self.profile = tempfile.TemporaryDirectory(
            prefix="faultline-chromium-", ignore_cleanup_errors=True
        )
        self.log_path = os.path.join(self.profile.name, "chromium.log")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile.name}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        try:
            browser_url = self._devtools_url()
        except RuntimeError:
            self.process.kill()
            raise
        port = re.match(r"ws://[^:]+:(\d+)/", browser_url).group(1)
        page_url = self._page_websocket(port)
        self.socket = websocket.create_connection(page_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.errors = []
        self.call("Runtime.enable")
        self.call("Log.enable")
        self.call("Page.enable")

    def _devtools_url(self):
        # Chromium names its DevTools address on stderr, which goes to a file (a pipe nobody
        # reads after start-up could fill and stall it). Waits no longer than 30 s: a
        # Chromium that hangs without a word must not hang the test suite.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            with open(self.log_path, "rb") as log:
                found = re.search(rb"DevTools listening on (ws://\S+)", log.read())
            if found:
                return found.group(1).decode()
            time.sleep(0.05)
        with open(self.log_path, "rb") as log:
            said = log.read().decode(errors="replace").strip()[-2000:]
        raise RuntimeError(f"Chromium did not start its DevTools server; it said:\n{said}")

    def _page_websocket(self, port):
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
            targets = json.load(answer)
        pages = [t for t in targets if t.get("type") == "page"]
        return pages[0]["webSocketDebuggerUrl"]

    def call(self, method, **params):
        self.next_id += 1
        ident = self.next_id
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def _event(self, message):
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            self.errors.append(f"script error: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.errors.append(f"console error: {args}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(f"log error: {params['entry'].get('text')}")
        elif method == "Page.loadEventFired":
            self.loaded = True

    def open(self, url, width_px):
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width_px,
            height=HEIGHT_PX,
            deviceScaleFactor=1,
            mobile=width_px < 600,
        )
        self.loaded = False
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while not self.loaded and time.monotonic() < deadline:
            self._event(json.loads(self.socket.recv()))
        if not self.loaded:
            raise RuntimeError(f"{url} did not finish loading")

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"check failed to run: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()
        self.profile.cleanup()


# Each check is a JavaScript expression that returns a list of problems (empty: passed).
SIDEWAYS = """(() => {
  const doc = document.documentElement;
  return doc.scrollWidth > window.innerWidth
    ? [`the page is ${doc.scrollWidth} px wide in a ${window.innerWidth} px window`] : [];
})()"""

LINKS = """(() => {
  const broken = [];
  for (const a of document.querySelectorAll('a[href^="#"]')) {
    const id = decodeURIComponent(a.getAttribute('href').slice(1));
    if (!document.getElementById(id)) broken.push(`link to #${id} has no target`);
  }
  return broken;
})()"""

CHART_TEXT = """(() => {
  const small = [];
  for (const svg of document.querySelectorAll('figure svg')) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll('text')) {
      const px = parseFloat(getComputedStyle(text).fontSize) * scale;
      if (px < %(min)s && text.textContent.trim()) {
        small.push(`"${text.textContent.trim()}" in #${svg.closest('figure').id} is ${px.toFixed(1)} px`);
      }
    }
  }
  return small.slice(0, 5);
})()""" % {"min": CHART_TEXT_MIN_PX}


# On a desktop every chart fits its column; only a phone scrolls a chart in its own box.
CHARTS_FIT = """(() => [...document.querySelectorAll('figure')]
  .filter((figure) => figure.scrollWidth > figure.clientWidth)
  .map((figure) => `#${figure.id} is ${figure.scrollWidth} px wide in ${figure.clientWidth} px`)
)()"""


TOOLTIPS = """(() => {
  const groups = [...document.querySelectorAll('figure g[data-variant]')];
  const problems = groups.filter((g) => !g.querySelector(':scope > title'))
    .map((g) => `a series of ${g.dataset.variant} in #${g.closest('figure').id} has no tooltip`);
  for (const chart of document.querySelectorAll('figure.chart')) {
    const targets = [...chart.querySelectorAll('.hover')].filter((t) => t.querySelector('title'));
    if (!targets.length) {
      problems.push(`nothing in #${chart.id} says its value on hover`);
      continue;
    }
    // The pointer reaches a target: nothing drawn later covers it.
    const target = targets[Math.floor(targets.length / 2)];
    target.scrollIntoView({block: 'center'});
    const box = target.getBoundingClientRect();
    const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    if (!hit?.closest('.hover')) {
      problems.push(`the pointer over "${target.textContent}" in #${chart.id} finds ${hit?.tagName}`);
    }
  }
  window.scrollTo(0, 0);
  if (groups.length && !document.querySelector('[data-toggle-variant]')) {
    problems.push('series can be toggled but no legend entry toggles them');
  }
  return problems;
})()"""

TOGGLE = """(() => {
  const problems = [];
  // Drawn at all: neither it nor any element around it hidden (checkVisibility() does not
  // see into SVG).
  const shown = (el) => {
    for (let at = el; at; at = at.parentElement) if (getComputedStyle(at).display === 'none') return false;
    return true;
  };
  const series = () => [...document.querySelectorAll('figure g[data-variant]')];
  // Marks that several variants share (a label of coinciding dots, the rim of a line under
  // later lines) go when all of those have gone.
  const shared = () => [...document.querySelectorAll('figure [data-variants]')];
  const mark = (el) => el.textContent.trim() ? `the label "${el.textContent.trim()}"` : 'a rim';
  const buttons = [...document.querySelectorAll('figure [data-toggle-variant]')];
  const variants = [...new Set(buttons.map((b) => b.dataset.toggleVariant))];
  for (const variant of variants) {
    const button = buttons.find((b) => b.dataset.toggleVariant === variant);
    const own = () => series().filter((g) => g.dataset.variant === variant);
    const charts = new Set(own().map((g) => g.closest('figure').id));
    button.click();
    const still = own().filter(shown).length;
    if (still) problems.push(`after hiding ${variant}, ${still} of its series still show`);
    const lost = series().filter((g) => g.dataset.variant !== variant && !shown(g)).length;
    if (lost) problems.push(`hiding ${variant} hid ${lost} series of other variants`);
    for (const el of shared().filter(shown)) {
      if (JSON.parse(el.dataset.variants).every((v) => v === variant)) {
        problems.push(`${mark(el)} of ${el.dataset.variants} stays after hiding ${variant}`);
      }
    }
    if (button.getAttribute('aria-pressed') !== 'false') problems.push(`the ${variant} button does not say it is off`);
    button.click();
    if (own().some((g) => !shown(g))) problems.push(`showing ${variant} again left some hidden`);
    button.dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));
    const others = series().filter((g) => g.dataset.variant !== variant && shown(g)).length;
    if (others) problems.push(`a double-click on ${variant} left ${others} other series shown`);
    for (const el of shared().filter(shown)) {
      if (!JSON.parse(el.dataset.variants).includes(variant)) {
        problems.push(`${mark(el)} of ${el.dataset.variants} stays with ${variant} alone`);
      }
    }
    button.dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));
    if (series().some((g) => !shown(g))) problems.push('a second double-click did not show all again');
    if (charts.size < 2 && document.querySelectorAll('figure.chart ul.legend').length >= 2) {
      problems.push(`${variant} has series in only ${charts.size} chart(s)`);
    }
  }
  // A link to what a hidden variant owns (its chart) shows the variant again.
  const owned = [...document.querySelectorAll('figure[data-variant]')];
  const link = owned.map((f) => document.querySelector(`a[href="#${f.id}"]`)).find(Boolean);
  if (link) {
    const figure = document.getElementById(link.hash.slice(1));
    const button = buttons.find((b) => b.dataset.toggleVariant === figure.dataset.variant);
    if (button) {
      button.click();
      link.click();
      if (!shown(figure)) problems.push(`the link to #${figure.id} leads to a hidden chart`);
      if (button.getAttribute('aria-pressed') !== 'true') problems.push('following the link did not turn its variant on');
    }
  }
  window.scrollTo(0, 0);
  return problems;
})()"""


STEPS = """(() => {
  const steps = [...document.querySelectorAll('#spacetime path.step')];
  if (!document.getElementById('spacetime')) return [];
  const problems = [];
  const stepper = document.querySelector('#spacetime .stepper');
  // A window without messages has nothing to step through, and offers no buttons.
  if (!steps.length) return stepper && !stepper.hidden ? ['buttons step through no messages'] : [];
  if (steps.some((step) => !step.querySelector('title')?.textContent.includes(' ms'))) {
    problems.push('a message has no tooltip with its times');
  }
  if (!stepper || stepper.hidden) return problems.concat(['the step buttons are not shown']);
  const next = stepper.querySelector('[data-step-next]');
  const previous = stepper.querySelector('[data-step-previous]');
  const at = () => steps.findIndex((step) => step.classList.contains('current'));
  next.click();
  if (at() !== 0) problems.push(`the first "next" went to message ${at() + 1}`);
  if (steps.length > 1) {
    next.click();
    if (at() !== 1) problems.push(`the second "next" went to message ${at() + 1}`);
    previous.click();
    if (at() !== 0) problems.push(`"previous" went to message ${at() + 1}`);
  }
  const text = stepper.querySelector('.step-text').textContent;
  if (!text.startsWith(`Message 1 of ${steps.length}: `)) problems.push(`the step text says "${text}"`);
  if (steps.filter((step) => step.classList.contains('current')).length !== 1) {
    problems.push('more than one message is marked as the current one');
  }
  // Down to the last message: it and the buttons are on screen together.
  while (!next.disabled) next.click();
  const last = steps[steps.length - 1].getBoundingClientRect();
  const buttons = stepper.getBoundingClientRect();
  if (last.bottom > buttons.top + 1 || last.bottom < 0) {
    problems.push('at the last message, the message and the step buttons are not both in view');
  }
  if (buttons.bottom > window.innerHeight + 1) problems.push('the step buttons are below the window');
  window.scrollTo(0, 0);
  return problems;
})()"""


def missing_files(browser):
    """Links to files beside the page (trace files) that are not there."""
    hrefs = browser.evaluate(
        "[...document.querySelectorAll('a[href]')].map((a) => a.href)"
        ".filter((href) => href.startsWith('file:'))"
    )
    missing = []
    for href in hrefs:
        path = urllib.parse.unquote(urllib.parse.urlsplit(href).path)
        if not os.path.exists(path):
            missing.append(f"a link to {path}, which does not exist")
    return missing


def check_page(browser, path):
    url = "file://" + os.path.abspath(path)
    problems = []
    for width_px in WIDTHS_PX:
        browser.errors = []
        browser.open(url, width_px)
        checks = [("sideways scroll", SIDEWAYS), ("links", LINKS)]
        if width_px == DESKTOP_PX:
            checks += [
                ("chart text", CHART_TEXT),
                ("charts fit", CHARTS_FIT),
                ("tooltips", TOOLTIPS),
                ("toggles", TOGGLE),
                ("steps", STEPS),
            ]
        for name, expression in checks:
            for problem in browser.evaluate(expression):
                problems.append(f"{width_px} px, {name}: {problem}")
        if width_px == DESKTOP_PX:
            problems.extend(f"{width_px} px, files: {p}" for p in missing_files(browser))
        problems.extend(f"{width_px} px: {error}" for error in browser.errors)
    return problems


def main():
    chromium, pages = sys.argv[1], sys.argv[2:]
    browser = Browser(chromium)
    failed = False
    try:
        for page in pages:
            problems = check_page(browser, page)
            if problems:
                failed = True
                print(f"FAIL {page}")
                for problem in problems:
                    print(f"  {problem}")
            else:
                print(f"ok   {page}")
    finally:
        browser.close()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
