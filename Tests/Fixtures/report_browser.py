#!/usr/bin/env python3
"""Drives Debian's headless Chromium through the DevTools protocol for the HTML report's tests.

    report_browser.py PAGE STEPS_JSON

Opens PAGE (a file path) in a fresh headless Chromium that cannot reach any network (every request goes to a
dead proxy, every host name fails to resolve), runs STEPS in order and prints one JSON object on stdout:

    {"results": [...one entry per step...], "requests": [URLs the page asked for],
     "exceptions": [uncaught JavaScript errors], "console": [console and browser log entries]}

Steps (JSON list):
    {"evaluate": "JS expression"}             -> the expression's value (returned by value)
    {"click": "CSS selector"}                 -> a real mouse click (moved, pressed, released) at the centre of
                                                 the first matching element; its centre
    {"hover": "CSS selector"}                 -> a real mouse move to that centre
    {"type": ["CSS selector", "text"]}        -> clicks the element, then types the text (Input.insertText)
    {"screenshot": "path.png"}                -> writes a PNG of the viewport
The protocol runs over --remote-debugging-pipe (file descriptors 3 and 4, NUL-separated JSON): no port, no
websocket library. Every wait is bounded; on any failure the script exits 1 with one line on stderr.
"""

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

DEADLINE_SECONDS = 90
WIDTH, HEIGHT = 1400, 1000


class Browser:
    def __init__(self, executable):
        self.profile = tempfile.mkdtemp(prefix="hybrid-run-chromium-")
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()

        def move_pipes():
            # The browser reads commands on fd 3 and writes replies on fd 4 (dup2 leaves them open across exec;
            # the originals are close-on-exec). Copies above 10 first, so neither dup2 overwrites the other's source.
            commands = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            replies = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        self.process = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--metrics-recording-only", "--mute-audio",
             # No way out: a request the page made would go to a closed port and no name resolves.
             "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
             f"--window-size={WIDTH},{HEIGHT}", f"--user-data-dir={self.profile}",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=move_pipes, close_fds=False,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + DEADLINE_SECONDS
        self.session = None

    def close(self):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_message(self):
        while b"\0" not in self.buffer:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError("Chromium did not answer in time")
            ready, _, _ = select.select([self.from_browser], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method, params=None, session=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for_event(self, method):
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        while True:
            event = self._read_message()
            if event.get("method") == method:
                return event
            self.events.append(event)

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate {expression!r}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def centre(self, selector):
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center', inline: 'center'});"
            " const r = e.getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()")
        if box is None:
            raise RuntimeError(f"no element matches {selector!r}")
        return box

    def mouse(self, kind, box, **extra):
        self.send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"], **extra})


def main():
    page, steps = os.path.abspath(sys.argv[1]), json.loads(sys.argv[2])
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        raise RuntimeError("no chromium on PATH (Debian's chromium package; scripts/setup.sh installs it)")
    browser = Browser(executable)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = browser.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, session=False)
        browser.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            browser.send(f"{domain}.enable")
        browser.send("Emulation.setDeviceMetricsOverride", {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
        browser.send("Page.navigate", {"url": "file://" + page})
        browser.wait_for_event("Page.loadEventFired")

        results = []
        for step in steps:
            (kind, argument), = step.items()
            if kind == "evaluate":
                results.append(browser.evaluate(argument))
            elif kind in ("click", "hover"):
                box = browser.centre(argument)
                browser.mouse("mouseMoved", box)
                if kind == "click":
                    browser.mouse("mousePressed", box, button="left", clickCount=1)
                    browser.mouse("mouseReleased", box, button="left", clickCount=1)
                results.append(box)
            elif kind == "type":
                selector, text = argument
                box = browser.centre(selector)
                browser.mouse("mousePressed", box, button="left", clickCount=1)
                browser.mouse("mouseReleased", box, button="left", clickCount=1)
                browser.send("Input.insertText", {"text": text})
                results.append(browser.evaluate(f"document.querySelector({json.dumps(selector)}).value"))
            elif kind == "screenshot":
                shot = browser.send("Page.captureScreenshot", {"format": "png"})
                os.makedirs(os.path.dirname(os.path.abspath(argument)), exist_ok=True)
                with open(argument, "wb") as file:
                    file.write(base64.b64decode(shot["data"]))
                results.append(argument)
            else:
                raise RuntimeError(f"unknown step {kind!r}")
        # Whatever the page did last is in the event queue by the time an evaluation comes back.
        browser.evaluate("0")

        events = browser.events
        print(json.dumps({
            "results": results,
            "requests": [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"],
            "exceptions": [e["params"]["exceptionDetails"].get("exception", {}).get("description")
                           or e["params"]["exceptionDetails"].get("text")
                           for e in events if e.get("method") == "Runtime.exceptionThrown"],
            "console": [e["params"]["entry"]["text"] for e in events if e.get("method") == "Log.entryAdded"]
                       + [" ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"])
                          for e in events if e.get("method") == "Runtime.consoleAPICalled"],
        }))
    finally:
        browser.close()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # one line, whatever went wrong
        print(f"report_browser.py: {error}", file=sys.stderr)
        sys.exit(1)
