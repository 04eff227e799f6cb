"""A headless Chromium driven through the Chrome DevTools Protocol: just what the Cockpit page's
browser test needs (navigate, evaluate, wait for a condition, click, type, screenshot). The
browser is Debian's chromium, started here with a private profile under the test's temp dir;
nothing is downloaded. Needs python3-websocket."""

import base64
import json
import os
import subprocess
import time

import websocket


class BrowserError(Exception):
    pass


class Browser:
    def __init__(self, binary, profile, width=1400, height=900):
        os.makedirs(profile, exist_ok=True)
        port_file = os.path.join(profile, "DevToolsActivePort")
        if os.path.exists(port_file):
            os.unlink(port_file)
        args = [binary, "--headless=new", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                "--disable-background-networking", "--disable-component-update",
                "--remote-debugging-port=0", "--user-data-dir=" + profile,
                f"--window-size={width},{height}", "--hide-scrollbars", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run its sandbox as root
        self.log = open(os.path.join(profile, "chromium.log"), "w")
        # its home, caches, certificate store (~/.pki) and temporary files in the profile, not
        # the user's home or /tmp (Chromium leaves an org.chromium.Chromium.* there per run)
        os.makedirs(os.path.join(profile, "tmp"), exist_ok=True)
        env = dict(os.environ, HOME=profile, XDG_CONFIG_HOME=os.path.join(profile, "config"),
                   XDG_CACHE_HOME=os.path.join(profile, "cache"), TMPDIR=os.path.join(profile, "tmp"))
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        # its process group, for a test's exit trap when this driver itself is killed
        with open(os.path.join(profile, "chromium.pid"), "w") as f:
            f.write(str(self.proc.pid))
        deadline = time.time() + 30
        while not os.path.exists(port_file) or len(open(port_file).read().split("\n")) < 2:
            if self.proc.poll() is not None or time.time() > deadline:
                self.close()
                raise BrowserError("chromium did not start: see " + self.log.name)
            time.sleep(0.1)
        port, path = open(port_file).read().split("\n")[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=60,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)
        self.call("Log.enable", session=True)  # the browser's own errors: CSP, failed loads
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                  height=height, deviceScaleFactor=1, mobile=False)
        self.console = []

    def call(self, method, session=False, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self._event(reply)

    def _event(self, ev):
        if ev.get("method") == "Runtime.exceptionThrown":
            d = ev["params"]["exceptionDetails"]
            self.console.append("exception: " + d.get("exception", {}).get("description",
                                                                            d.get("text", "")))
        elif ev.get("method") == "Log.entryAdded" and ev["params"]["entry"]["level"] == "error":
            e = ev["params"]["entry"]
            self.console.append(f"browser error: {e.get('url', '')}: {e.get('text', '')}")
        elif ev.get("method") == "Runtime.consoleAPICalled":
            args = ev["params"]["args"]
            self.console.append(ev["params"]["type"] + ": " +
                                " ".join(str(a.get("value", a.get("description", "")))
                                         for a in args))

    def navigate(self, url):
        self.call("Page.navigate", session=True, url=url)

    def eval(self, expression):
        """The value of a JavaScript expression in the page (awaited when it is a promise)."""
        r = self.call("Runtime.evaluate", session=True, expression=expression,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise BrowserError(f"{expression}: " +
                               r["exceptionDetails"].get("exception", {}).get(
                                   "description", r["exceptionDetails"].get("text", "")))
        return r.get("result", {}).get("value")

    def wait(self, expression, timeout=20, what=None):
        """Waits until the expression is truthy; returns its value."""
        deadline = time.time() + timeout
        last = None
        # an element is returned as true: a DOM node cannot be passed by value
        expression = f"(() => {{ const v = ({expression}); return v && typeof v === 'object' && 'nodeType' in v ? true : v; }})()"
        while time.time() < deadline:
            try:
                last = self.eval(expression)
                if last:
                    return last
            except BrowserError as e:
                last = str(e)
            time.sleep(0.1)
        raise BrowserError(f"timed out waiting for {what or expression} (last: {last!r})")

    # The document the selectors below look in: a JavaScript expression, "document" or, for a
    # page in Cockpit's shell, its iframe's (same origin).
    doc = "document"

    def q(self, selector):
        return f"{self.doc}.querySelector({json.dumps(selector)})"

    def click(self, selector):
        self.wait(f"{self.q(selector)} && !{self.q(selector)}.disabled",
                  what=f"{selector} to be there and enabled")
        self.eval(f"{self.q(selector)}.click()")

    def set_value(self, selector, value):
        """Sets an input's or select's value as a user does: its input and change events fire."""
        self.wait(self.q(selector), what=selector)
        self.eval(f"(() => {{ const e = {self.q(selector)}; "
                  f"e.focus(); e.value = {json.dumps(value)}; "
                  f"e.dispatchEvent(new Event('input', {{bubbles: true}})); "
                  f"e.dispatchEvent(new Event('change', {{bubbles: true}})); }})()")

    def text(self, selector):
        return self.eval(f"({self.q(selector)} || {{}}).innerText")

    def wait_text(self, selector, timeout=20):
        """Waits until @selector is there with text; returns it."""
        return self.wait(f"{self.q(selector)} && {self.q(selector)}.innerText", timeout,
                         what=f"{selector} to show")

    def screenshot(self, path, full_page=True):
        params = {"format": "png"}
        if full_page:
            m = self.call("Page.getLayoutMetrics", session=True)
            size = m.get("cssContentSize", m.get("contentSize"))
            params["clip"] = {"x": 0, "y": 0, "width": size["width"],
                              "height": min(size["height"], 4000), "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", session=True, **params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, 15)
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, 9)
                    self.proc.wait()
            self.log.close()
