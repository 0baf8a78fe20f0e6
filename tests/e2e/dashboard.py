#!/usr/bin/env python3
"""e2e.dashboard: the web dashboard (berthd --ui-addr, `berth ui`) in headless Chromium.

berthd runs on an isolated temp root (tests/e2e/lib/berthd.py) with the dashboard on
127.0.0.1 (a free port); Debian's chromium and chromium-driver are driven by Debian's
python3-selenium, nothing is downloaded. The test logs in with the URL `berth ui`
prints, sees a running container, reads a line it logged, watches the stats graph
gain points, runs a command in the exec terminal, stops the container through the
page (with its confirmation) and sees the state change. It also checks the access
rules over plain HTTP (no session: 401; another Origin: 403; a login token works
once). Screenshots of every page go to $BERTH_SCREENSHOT_DIR (default
build/test-artifacts/dashboard/) for a person to look at.

    BERTHD=build/cmd/berthd/berthd BERTH=build/cmd/berth/berth python3 tests/e2e/dashboard.py [-v]
"""
import http.client
import json
import os
import subprocess
import sys
import time
import unittest

SYSTEM_PYTHON = "/usr/bin/python3"
try:
    import selenium  # noqa: F401 - Debian's python3-selenium lives in the system Python
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and os.access(SYSTEM_PYTHON, os.X_OK):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    print("not ok - prerequisite missing: python3-selenium (Debian's package)")
    sys.exit(1)
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import berthd  # noqa: E402 - tests/e2e/lib/berthd.py, the shared harness
from berthd import IMG, ROOT  # noqa: E402

D = None
client = None
driver = None
SHOTS = os.environ.get("BERTH_SCREENSHOT_DIR") or os.path.join(ROOT, "build", "test-artifacts", "dashboard")
WAIT = 20


def find_berth():
    b = os.environ.get("BERTH") or os.path.join(ROOT, "build", "cmd", "berth", "berth")
    if not os.access(b, os.X_OK):
        sys.exit(f"prerequisite missing: berth (set BERTH=/path/to/berth): {b}")
    return b


def berth_ui_url():
    """What `berth ui` prints: the dashboard's one-time login URL."""
    out = subprocess.run([find_berth(), "-H", f"unix://{D.sock}", "ui", "--no-browser"], check=True,
                         capture_output=True, text=True, env={**os.environ, "DISPLAY": "", "WAYLAND_DISPLAY": ""})
    url = out.stdout.strip()
    assert url.startswith("http://127.0.0.1:") and "/#token=" in url, url
    return url


def wait_network_settled(timeout=15):
    """Chromium fails the requests in flight (net::ERR_NETWORK_CHANGED) when the host's addresses change,
    and a module of the page that fails to load leaves it blank. The containers' veths and bridges just
    made get IPv6 link-local addresses once duplicate address detection ends (a second or two later):
    the browser starts only when no address on the host is tentative any more (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open("/proc/net/if_inet6") as f:
            tentative = [line.split()[5] for line in f if int(line.split()[4], 16) & 0x40]  # IFA_F_TENTATIVE
        if not tentative:
            return
        time.sleep(0.1)
    raise RuntimeError(f"addresses still tentative after {timeout} s: {tentative}")


def start_browser():
    for path in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"prerequisite missing: {path} (Debian's chromium and chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    profile = os.path.join(D.tmp, "chromium-profile")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
              f"--user-data-dir={profile}", "--no-first-run", "--disable-extensions"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the page's console, for show_page()
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=opts)


def setUpModule():
    global D, client, driver
    D, client = berthd.start_module("dashboard", "u", extra_args=["--ui-addr", "127.0.0.1:0"])
    try:
        os.makedirs(SHOTS, exist_ok=True)
        client.containers.run(IMG, ["sh", "-c", "trap 'exit 0' TERM; echo hello-from-dashboard; echo oops-on-stderr >&2; "
                                    "while true; do echo tick; sleep 1; done"], name="web", detach=True)
        client.containers.run(IMG, ["sleep", "3600"], name="shop-db-1", detach=True, ports={"5432/tcp": ("127.0.0.1", None)},
                              healthcheck={"test": ["CMD", "true"], "interval": 1_000_000_000},
                              labels={"com.docker.compose.project": "shop", "com.docker.compose.service": "db"})
        client.containers.create(IMG, ["true"], name="shop-worker-1",
                                 labels={"com.docker.compose.project": "shop", "com.docker.compose.service": "worker"})
        client.volumes.create("shop_data", labels={"com.docker.compose.project": "shop"})
        client.networks.create("shop_default", labels={"com.docker.compose.project": "shop"})
        wait_network_settled()
        driver = start_browser()
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    global client, driver
    if driver is not None:
        driver.quit()
        driver = None
    berthd.stop_module(D, client)
    client = None


def ui_port():
    return int(berth_ui_url().split(":")[2].split("/")[0])


def raw(method, path, headers=None, body=None, port=None):
    """A request to the dashboard over plain HTTP: (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port or ui_port(), timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace"), r.getheaders()
    finally:
        conn.close()


def wait_for(what, fn, timeout=WAIT):
    # Lists re-render when an event arrives: an element found a moment ago may be gone.
    try:
        return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: fn(), message=f"waiting for {what}")
    except Exception:
        show_page(what)
        raise


def show_page(what):
    """What the page showed and what the browser logged, for the test's output: a timeout alone says
    nothing of why."""
    try:
        shot("failed-" + "".join(c if c.isalnum() else "-" for c in what))
        print(f"# page at {driver.current_url} while waiting for {what}:", file=sys.stderr)
        print("# " + driver.find_element(By.TAG_NAME, "body").text[:2000].replace("\n", "\n# "), file=sys.stderr)
        for entry in driver.get_log("browser")[-30:]:
            print(f"# console: {entry.get('level')} {entry.get('message')}", file=sys.stderr)
    except Exception as e:  # noqa: BLE001 - the diagnosis must not hide the failure
        print(f"# (no page to show: {e})", file=sys.stderr)


def shot(name):
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def go(fragment):
    driver.get(driver.current_url.split("#")[0] + "#" + fragment)


def row(name):
    rows = driver.find_elements(By.CSS_SELECTOR, f'tr[data-name="{name}"]')
    return rows[0] if rows else None


class T1Access(unittest.TestCase):
    """The rules over plain HTTP, before any browser logs in."""

    def test_api_needs_a_session(self):
        port = ui_port()
        status, body, _ = raw("GET", "/api/containers/json", port=port)
        self.assertEqual(status, 401, body)
        self.assertIn("berth ui", body)
        status, _, _ = raw("GET", "/api/containers/json", {"Cookie": "berth_ui_session=" + "0" * 64}, port=port)
        self.assertEqual(status, 401)
        # The static page itself is public (it holds no data) and forbids framing.
        status, body, headers = raw("GET", "/", port=port)
        self.assertEqual(status, 200)
        self.assertIn("berth dashboard", body)
        self.assertIn("frame-ancestors 'none'", dict(headers).get("Content-Security-Policy", ""))

    def test_login_token_works_once_and_sets_a_strict_cookie(self):
        url = berth_ui_url()
        port = int(url.split(":")[2].split("/")[0])
        token = url.split("#token=")[1]
        origin = {"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/json"}
        status, body, _ = raw("POST", "/ui/login", {"Content-Type": "application/json"}, json.dumps({"token": token}), port)
        self.assertEqual(status, 403, "a login without Origin: " + body)
        status, body, _ = raw("POST", "/ui/login", {**origin, "Origin": "http://evil.example"}, json.dumps({"token": token}), port)
        self.assertEqual(status, 403, body)
        status, body, headers = raw("POST", "/ui/login", origin, json.dumps({"token": token}), port)
        self.assertEqual(status, 200, body)
        cookie = dict(headers)["Set-Cookie"]
        for part in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(part, cookie)
        session = cookie.split(";")[0]
        status, body, _ = raw("POST", "/ui/login", origin, json.dumps({"token": token}), port)
        self.assertEqual(status, 401, "a used token: " + body)
        status, body, _ = raw("GET", "/api/containers/json", {"Cookie": session}, port=port)
        self.assertEqual(status, 200, body)
        self.assertIn("/web", body)
        # State changes need this site's Origin; the relay passes only the pages' calls.
        status, body, _ = raw("POST", "/api/containers/web/stop", {"Cookie": session}, port=port)
        self.assertEqual(status, 403, body)
        status, body, _ = raw("POST", "/api/containers/create", {"Cookie": session, "Origin": origin["Origin"]}, "{}", port)
        self.assertEqual(status, 403, body)
        self.assertIn("does not relay", body)
        status, body, _ = raw("GET", "/api/containers/json", {"Cookie": session, "Host": f"evil.example:{port}"}, port=port)
        self.assertEqual(status, 421, "DNS rebinding: " + body)
        self.assertEqual(client.containers.get("web").status, "running")


class T2Browser(unittest.TestCase):
    """Chromium, logged in by the URL `berth ui` prints; in order (unittest sorts by name)."""

    def test_1_containers_page_shows_the_running_container(self):
        driver.get(berth_ui_url())
        wait_for("the web row", lambda: row("web") is not None)
        self.assertNotIn("#token=", driver.current_url, "the token must leave the address bar")
        self.assertEqual(wait_for("web's state", lambda: row("web").get_attribute("data-state")), "running")
        wait_for("web's state badge", lambda: "running" in row("web").text)
        shot("01-containers")

    def test_2_logs_show_what_the_container_printed(self):
        go(f"/containers/{client.containers.get('web').id}/logs")
        logs = wait_for("the log line", lambda: (lambda e: e if e and "hello-from-dashboard" in e[0].text else None)(
            driver.find_elements(By.ID, "logs")))[0]
        self.assertIn("oops-on-stderr", logs.text)
        ticks = logs.text.count("tick")
        wait_for("followed lines", lambda: driver.find_element(By.ID, "logs").text.count("tick") > ticks)
        shot("02-container-logs")
        search = driver.find_element(By.ID, "log-search")
        search.send_keys("hello")
        wait_for("the search", lambda: "tick" not in driver.find_element(By.ID, "logs").text)
        self.assertIn("hello-from-dashboard", driver.find_element(By.ID, "logs").text)
        self.assertTrue(driver.find_elements(By.CSS_SELECTOR, "#logs mark"), "matches are highlighted")
        shot("03-container-logs-search")

    def test_3_stats_graph_moves(self):
        go(f"/containers/{client.containers.get('web').id}/stats")
        points = lambda: int(driver.find_element(By.ID, "cpu-chart").get_attribute("data-points") or 0)  # noqa: E731
        wait_for("a first sample", lambda: driver.find_elements(By.ID, "cpu-chart") and points() >= 1)
        first = points()
        wait_for("more samples", lambda: points() >= first + 4)
        self.assertNotEqual(driver.find_element(By.ID, "mem-value").text, "-")
        self.assertGreater(float(driver.find_element(By.ID, "mem-chart").get_attribute("data-last")), 0)
        shot("04-container-stats")

    def test_4_exec_terminal_runs_a_command(self):
        go(f"/containers/{client.containers.get('web').id}/terminal")
        wait_for("the shell", lambda: "connected" in driver.find_element(By.ID, "term-state").text)
        box = driver.find_element(By.CSS_SELECTOR, "#terminal .xterm-helper-textarea")
        box.send_keys("echo marker-$((6*7))" + Keys.ENTER)
        rows = lambda: driver.find_element(By.CSS_SELECTOR, "#terminal .xterm-rows").text  # noqa: E731
        wait_for("the command's output", lambda: "marker-42" in rows())
        shot("05-container-terminal")
        # The exec's TTY has the terminal's size, and follows it when the window changes.
        term = driver.find_element(By.ID, "terminal")
        size = term.get_attribute("data-size")
        self.assertRegex(size or "", r"^\d+ \d+$")
        box.send_keys("echo size-A; stty size" + Keys.ENTER)
        wait_for(f"stty size = {size}", lambda: f"\nsize-A\n{size}\n" in rows(), timeout=10)
        driver.set_window_size(900, 700)
        try:
            wait_for("a resize", lambda: term.get_attribute("data-size") != size)
            smaller = term.get_attribute("data-size")
            box.send_keys("echo size-B; stty size" + Keys.ENTER)
            wait_for(f"stty size = {smaller}", lambda: f"\nsize-B\n{smaller}\n" in rows(), timeout=10)
        finally:
            driver.set_window_size(1280, 900)
        box.send_keys("exit" + Keys.ENTER)
        wait_for("the shell's exit", lambda: "exited with code 0" in driver.find_element(By.ID, "term-state").text)

    def test_5_other_pages(self):
        for frag, name, sel in (("/images", "06-images", 'tr[data-id]'), ("/networks", "08-networks", "tbody tr"),
                                ("/volumes", "09-volumes", "tbody tr"), ("/compose", "10-compose", 'section[data-project="shop"]')):
            go(frag)
            wait_for(name, lambda: driver.find_elements(By.CSS_SELECTOR, sel))
            shot(name)
        go("/networks")
        net = wait_for("the shop network", lambda: [r.text for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr")
                                                    if "shop_default" in r.text])[0]
        self.assertIn("compose: shop", net)
        go("/compose")
        project = wait_for("the shop project", lambda: driver.find_element(By.CSS_SELECTOR, 'section[data-project="shop"]').text)
        self.assertIn("1/2 running", project)
        self.assertIn("shop-db-1", project)
        self.assertNotIn("web", project.split())
        go("/images")
        wait_for("a click on an image", lambda: driver.find_element(By.CSS_SELECTOR, "tr[data-id] a").click() or True)
        wait_for("the image's layers", lambda: "Layers (" in driver.find_element(By.ID, "main").text)
        self.assertIn("History", driver.find_element(By.ID, "main").text)
        shot("07-image")

    def test_6_events_page_shows_a_new_event(self):
        go("/events")
        wait_for("the events table", lambda: driver.find_elements(By.ID, "events"))
        client.containers.get("shop-worker-1").start()
        wait_for("the start event", lambda: "shop-worker-1" in driver.find_element(By.ID, "events").text)
        shot("11-events")

    def test_7_stop_through_the_page(self):
        go("/containers")
        wait_for("the web row", lambda: row("web") is not None)
        # By keyboard: Tab reaches the button, Enter opens the confirmation, Escape cancels it.
        driver.find_element(By.ID, "main").click()
        keys = lambda *k: ActionChains(driver).send_keys(*k).perform()  # noqa: E731
        for _ in range(80):
            keys(Keys.TAB)
            if driver.switch_to.active_element.get_attribute("aria-label") == "Stop web":
                break
        else:
            self.fail("Tab never reached the Stop button of web")
        keys(Keys.ENTER)
        dialog = driver.find_element(By.ID, "confirm")
        wait_for("the confirmation", lambda: dialog.get_attribute("open") is not None)
        self.assertEqual(driver.switch_to.active_element.text, "Cancel", "the dialog starts on Cancel")
        keys(Keys.ESCAPE)
        wait_for("the dialog to close", lambda: dialog.get_attribute("open") is None)
        self.assertEqual(client.containers.get("web").status, "running", "Escape cancels")
        wait_for("a click on Stop", lambda: row("web").find_element(By.CSS_SELECTOR, 'button[aria-label="Stop web"]').click() or True)
        wait_for("the confirmation", lambda: dialog.get_attribute("open") is not None)
        shot("12-confirm-stop")
        self.assertEqual(client.containers.get("web").status, "running", "nothing happens before the confirmation")
        driver.find_element(By.ID, "confirm-ok").click()
        wait_for("the stopped state", lambda: row("web") is not None and row("web").get_attribute("data-state") == "exited",
                 timeout=40)
        self.assertEqual(client.containers.get("web").status, "exited")
        shot("13-containers-after-stop")

    def test_8_phone_sized_window(self):
        driver.set_window_size(390, 844)
        try:
            go("/containers")
            wait_for("the web row", lambda: row("web") is not None)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            self.assertLessEqual(width, 400, "the page fits a phone's width (tables scroll inside their box)")
            shot("14-phone-containers")
            go(f"/containers/{client.containers.get('shop-db-1').id}/stats")
            wait_for("a sample", lambda: int(driver.find_element(By.ID, "cpu-chart").get_attribute("data-points") or 0) >= 1)
            shot("15-phone-stats")
        finally:
            driver.set_window_size(1280, 900)

    def test_9_pull_with_progress(self):
        fixtures = os.path.join(ROOT, "tests", "fixtures")
        out = subprocess.run([os.path.join(fixtures, "registry.sh"), "start", "--dir", os.path.join(D.tmp, "registry"),
                              "--port", "0", "--mode", "plain"], check=True, capture_output=True, text=True).stdout
        reg = next(line.split("=", 1)[1] for line in out.splitlines() if line.startswith("REGISTRY="))
        try:
            subprocess.run([os.path.join(fixtures, "registry-images.sh"), "--registry", reg, "--work",
                            os.path.join(D.tmp, "images")], check=True, capture_output=True, text=True)
            go("/images")
            ref = wait_for("the pull form", lambda: driver.find_elements(By.ID, "pull-ref"))[0]
            ref.send_keys(f"{reg}/test/multi:latest" + Keys.ENTER)
            wait_for("the pulled image in the list", lambda: any(
                "test/multi:latest" in r.text for r in driver.find_elements(By.CSS_SELECTOR, "tr[data-id]")), timeout=90)
            bars = driver.find_elements(By.CSS_SELECTOR, "#pull-progress progress")
            self.assertEqual(len(bars), 5, "one progress bar per layer of test/multi")
            for b in bars:
                self.assertEqual(b.get_attribute("value"), b.get_attribute("max"), "every layer complete")
            self.assertIn("Downloaded newer image", driver.find_element(By.ID, "pull-status").text)
            shot("17-images-pull")
        finally:
            D.stop_registry()


class T3Firefox(unittest.TestCase):
    """Firefox ESR (no WebDriver for it in Debian 12): headless, it loads the page set and its
    modules and logs in with a fresh URL; the used token proves the scripts ran."""

    def test_firefox_loads_and_logs_in(self):
        ff = "/usr/bin/firefox-esr"
        if not os.access(ff, os.X_OK):
            self.fail(f"prerequisite missing: {ff} (Debian's firefox-esr)")
        url = berth_ui_url()
        port = int(url.split(":")[2].split("/")[0])
        profile = os.path.join(D.tmp, "firefox-profile")
        os.makedirs(profile, exist_ok=True)
        out = os.path.join(SHOTS, "16-firefox-containers.png")
        r = subprocess.run([ff, "--headless", "--no-remote", "--profile", profile, "--screenshot", out,
                            "--window-size=1280,800", url], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.getsize(out) > 0)
        token = url.split("#token=")[1]
        status, body, _ = raw("POST", "/ui/login", {"Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/json"},
                              json.dumps({"token": token}), port)
        self.assertEqual(status, 401, "Firefox ran the page's login, so the token is used: " + body)


if __name__ == "__main__":
    berthd.main(lambda: D)
