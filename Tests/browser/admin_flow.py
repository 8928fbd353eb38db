#!/usr/bin/env python3
"""The operators' admin pages (/admin) of a running `atsgate serve`, in a real browser.

Debian's chromium + chromedriver through Selenium, headless, with JavaScript disabled: the pages
must work as plain HTML forms and links. Run it through scripts/check-admin, or directly:

    ATSGATE_URL=http://127.0.0.1:PORT OPERATOR_KEY=... READER_KEY=... OTHER_OPERATOR_KEY=... \
        [CRM_KEY=...] [SCREENSHOT_DIR=DIR] python3 Tests/browser/admin_flow.py

The server must hold scripts/serve-fixture's data: at least two failed outbox rows of
OPERATOR_KEY's organisation and none of OTHER_OPERATOR_KEY's. The test replays one failed row
(it stays pending while the server runs with --no-worker), so each run uses up one of them.

HTTP statuses come from Chrome's performance log (the DevTools Network events), which does not
need JavaScript in the page. Tampering a hidden field uses WebDriver's script injection, which
runs outside the page's own (disabled) scripts; the form is then submitted by a real click.

Prints one line per check; exits 1 if any check failed.
"""
import json
import os
import re
import sys
import time
import traceback
from urllib.parse import urlparse, parse_qs

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ.get("ATSGATE_URL", "").rstrip("/")
OPERATOR_KEY = os.environ.get("OPERATOR_KEY", "")
READER_KEY = os.environ.get("READER_KEY", "")
CRM_KEY = os.environ.get("CRM_KEY", "")
OTHER_OPERATOR_KEY = os.environ.get("OTHER_OPERATOR_KEY", "")
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR", "")

EXPIRED_TITLE = "This form has expired"
failures = []


def check(condition, what, detail=""):
    """Records one check; a failure does not stop the run unless the flow cannot go on."""
    if condition:
        print(f"ok   {what}")
    else:
        failures.append(what)
        print(f"FAIL {what}" + (f": {detail}" if detail else ""))
    return condition


class Browser:
    """One Chrome with its own cookie jar (one operator's browser)."""

    def __init__(self):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        self.driver.set_page_load_timeout(20)

    def quit(self):
        self.driver.quit()

    # Navigation, with the HTTP statuses of the documents it loaded.

    def _drain(self):
        self.driver.get_log("performance")

    def _documents(self):
        """(method, url, status) of each document response since the last drain, redirects included."""
        requests, answers = {}, []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent" and params.get("type") == "Document":
                if "redirectResponse" in params:
                    previous = requests.get(params["requestId"], "GET")
                    answers.append((previous, params["redirectResponse"]["url"], params["redirectResponse"]["status"]))
                requests[params["requestId"]] = params["request"]["method"]
            elif message["method"] == "Network.responseReceived" and params.get("type") == "Document":
                answers.append((requests.get(params["requestId"], "GET"), params["response"]["url"], params["response"]["status"]))
        return answers

    def get(self, path):
        self._drain()
        self.driver.get(BASE + path)
        return self._documents()

    def submit(self, element):
        """Clicks a submit button or link and waits for the next page; returns the documents loaded."""
        self._drain()
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, 15).until(self._gone(old))
        WebDriverWait(self.driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")
        return self._documents()

    @staticmethod
    def _gone(old):
        """Like EC.staleness_of, but Chrome may also answer that the node no longer belongs to the
        document while the next page replaces it: that is gone too."""
        def check(_driver):
            try:
                old.is_enabled()
                return False
            except (StaleElementReferenceException, WebDriverException):
                return True
        return check

    # The page.

    @property
    def path(self):
        url = urlparse(self.driver.current_url)
        return url.path + (f"?{url.query}" if url.query else "")

    def h1(self):
        return self.text("h1")

    def text(self, css):
        try:
            return self.driver.find_element(By.CSS_SELECTOR, css).text.strip()
        except NoSuchElementException:
            return None

    def exists(self, css):
        return bool(self.driver.find_elements(By.CSS_SELECTOR, css))

    def rows(self):
        """(id, status) of each row of the #outbox table."""
        rows = []
        for tr in self.driver.find_elements(By.CSS_SELECTOR, "#outbox tr[data-row]"):
            cells = tr.find_elements(By.TAG_NAME, "td")
            rows.append((tr.get_attribute("data-row"), cells[4].text.strip()))
        return rows

    def csrf_token(self, form_css="main form"):
        return self.driver.find_element(By.CSS_SELECTOR, f"{form_css} input[name=csrf_token]").get_attribute("value")

    def screenshot(self, name):
        if not SCREENSHOT_DIR:
            return
        os.makedirs(SCREENSHOT_DIR, exist_ok=True)
        # The whole page: grow the window to the document's height first.
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, max(900, min(height + 40, 4000)))
        path = os.path.join(SCREENSHOT_DIR, name)
        self.driver.save_screenshot(path)
        self.driver.set_window_size(1280, 900)
        print(f"     screenshot {path}")

    # Flows.

    def sign_in(self, key):
        self.get("/admin/sign-in")
        self.driver.find_element(By.ID, "key").send_keys(key)
        return self.submit(self.driver.find_element(By.ID, "sign-in"))

    def sign_out(self):
        return self.submit(self.driver.find_element(By.CSS_SELECTOR, "header form[action='/admin/sign-out'] button"))

    def session_cookie(self):
        return next((c for c in self.driver.get_cookies() if c["name"] == "atsgate_session"), None)


def final_status(documents, method=None, path=None):
    """The status of the last document answer (optionally: of this method and path)."""
    for answer_method, url, status in reversed(documents):
        if (method is None or answer_method == method) and (path is None or urlparse(url).path == path):
            return status
    return None


def statuses(documents):
    return " → ".join(f"{m} {urlparse(u).path}{'?' + urlparse(u).query if urlparse(u).query else ''} {s}" for m, u, s in documents)


def row_status(browser, row_id):
    browser.get(f"/admin/outbox/{row_id}")
    return browser.text("#row-status")


def run():
    started = time.monotonic()
    browser = Browser()
    other = None
    try:
        # --- JavaScript really is off in this browser.
        browser.driver.get("data:text/html,<title>before</title><script>document.title='js ran'</script>")
        check(browser.driver.title == "before", "JavaScript is disabled in the browser", f"title is {browser.driver.title!r}")

        # --- Pages without a session redirect to the sign-in page.
        for path in ("/admin", "/admin/outbox", "/admin/outbox?status=failed", "/admin/outbox/1", "/admin/outbox/1/replay", "/admin/targets", "/admin/reconcile-runs"):
            documents = browser.get(path)
            check(browser.path == "/admin/sign-in" and final_status(documents, path=urlparse(path).path) == 303,
                  f"GET {path} without a session: 303 to /admin/sign-in", f"{statuses(documents)}, at {browser.path}")
        check(browser.exists("#key") and browser.exists("#sign-in"), "the sign-in page has #key and #sign-in")
        sign_in_cookie = next((c for c in browser.driver.get_cookies() if c["name"] == "atsgate_sign_in"), None)
        check(sign_in_cookie is not None and sign_in_cookie.get("httpOnly") is True and sign_in_cookie.get("sameSite") == "Strict",
              "the sign-in form's CSRF cookie is HttpOnly and SameSite=Strict", repr(sign_in_cookie))

        # --- A key that is not an operator's is refused.
        for name, key in (("READER_KEY", READER_KEY), ("CRM_KEY", CRM_KEY), ("a made-up key", "atsgate_ak_not-a-key")):
            if not key:
                print(f"skip {name}: not set")
                continue
            documents = browser.sign_in(key)
            check(final_status(documents, "POST", "/admin/sign-in") == 401 and browser.path == "/admin/sign-in"
                  and "not an active operator key" in (browser.text(".error") or "") and browser.session_cookie() is None,
                  f"sign-in with {name} is refused (401, error shown, no session cookie)", f"{statuses(documents)}; error {browser.text('.error')!r}")
            browser.get("/admin/outbox")
            check(browser.path == "/admin/sign-in", f"after the refused {name}, /admin/outbox still redirects to sign-in", browser.path)

        # --- The sign-in form's own CSRF token (double-submitted in a cookie) is checked.
        browser.get("/admin/sign-in")
        browser.driver.execute_script("document.querySelector('input[name=csrf_token]').value = 'tampered'")
        browser.driver.find_element(By.ID, "key").send_keys(OPERATOR_KEY)
        documents = browser.submit(browser.driver.find_element(By.ID, "sign-in"))
        check(final_status(documents, "POST", "/admin/sign-in") == 403 and browser.h1() == EXPIRED_TITLE and browser.session_cookie() is None,
              "sign-in with the operator key but a tampered csrf_token: 403 'This form has expired', no session", f"{statuses(documents)}; h1 {browser.h1()!r}")

        # --- Sign in as the operator.
        documents = browser.sign_in(OPERATOR_KEY)
        if not check(browser.path == "/admin/outbox" and final_status(documents, "POST", "/admin/sign-in") == 303,
                     "sign-in with OPERATOR_KEY: 303 to /admin/outbox", f"{statuses(documents)}; at {browser.path}; h1 {browser.h1()!r}"):
            raise RuntimeError("cannot sign in; stopping")
        cookie = browser.session_cookie()
        check(cookie is not None and cookie.get("httpOnly") is True and cookie.get("sameSite") == "Strict" and cookie.get("path") == "/admin",
              "the session cookie is HttpOnly, SameSite=Strict, Path=/admin", repr(cookie and {k: cookie.get(k) for k in ("httpOnly", "sameSite", "path", "secure")}))
        check(all(c["name"] != "atsgate_sign_in" for c in browser.driver.get_cookies()), "the sign-in CSRF cookie is cleared after signing in")
        check(not browser.driver.find_elements(By.TAG_NAME, "script"), "the outbox page has no <script>")
        check(browser.h1() == "Outbox" and "Outbox" in browser.driver.title, "the outbox page's heading and title say Outbox", repr(browser.h1()))
        all_rows = browser.rows()
        check(len(all_rows) >= 5, "the unfiltered outbox lists the organisation's rows", f"{len(all_rows)} rows")

        # --- Filter to failed rows with the status select (a GET form).
        Select(browser.driver.find_element(By.ID, "status")).select_by_value("failed")
        documents = browser.submit(browser.driver.find_element(By.ID, "filter"))
        query = parse_qs(urlparse(browser.driver.current_url).query)
        check(final_status(documents) == 200 and query.get("status") == ["failed"], "the filter form GETs /admin/outbox?status=failed (200)",
              f"{statuses(documents)}")
        check(Select(browser.driver.find_element(By.ID, "status")).first_selected_option.get_attribute("value") == "failed",
              "the status select keeps 'failed' selected")
        failed = browser.rows()
        check(len(failed) >= 2 and all(status == "failed" for _, status in failed),
              "the filtered outbox lists only failed rows (at least two)", repr(failed))
        if len(failed) < 2:
            raise RuntimeError("the server needs at least two failed rows (scripts/serve-fixture); stopping")
        replayed, kept = failed[0][0], failed[1][0]
        next_link = browser.driver.find_elements(By.ID, "next-page")
        check(len(failed) >= 50 or not next_link, "no 'Next page →' link when every failed row fits on the page",
              f"{len(failed)} rows, link href {next_link[0].get_attribute('href') if next_link else None!r}")
        browser.screenshot("outbox-failed.png")

        # --- Paging through the failed rows, two at a time, with the Next page link.
        browser.get("/admin/outbox?status=failed&limit=2")
        first_page = browser.rows()
        next_link = browser.driver.find_elements(By.ID, "next-page")
        check(len(first_page) == 2 and next_link and "cursor=" in next_link[0].get_attribute("href"),
              "limit=2: two rows and a Next page link with a cursor", f"{first_page}, {next_link and next_link[0].get_attribute('href')!r}")
        if next_link:
            browser.submit(next_link[0])
            second_page = browser.rows()
            check(second_page and all(s == "failed" for _, s in second_page) and not set(first_page) & set(second_page)
                  and [r for r, _ in first_page + second_page] == [r for r, _ in failed[:len(first_page) + len(second_page)]],
                  "the Next page link continues the failed rows where the first page ended", f"{first_page} then {second_page}")
        browser.get("/admin/outbox?status=failed")

        # --- Open a failed row from the table, replay it through the confirmation page.
        documents = browser.submit(browser.driver.find_element(By.CSS_SELECTOR, f"#outbox tr[data-row='{replayed}'] a"))
        check(browser.path == f"/admin/outbox/{replayed}" and final_status(documents) == 200 and browser.text("#row-status") == "failed",
              f"row #{replayed}'s page shows status failed", f"{statuses(documents)}; #row-status {browser.text('#row-status')!r}")
        check(browser.exists("#replay") and browser.exists("#cancel"), "a failed row offers Replay… and Cancel…")
        job = browser.text("#row dt:nth-of-type(2) + dd") or ""
        check(job.startswith("job-") and not re.search(r"target holds\s*\)", job),
              "the Job line of a never-sent row says no 'target holds' version", repr(job))
        browser.screenshot("row-failed.png")
        documents = browser.submit(browser.driver.find_element(By.ID, "replay"))
        check(browser.path == f"/admin/outbox/{replayed}/replay" and final_status(documents) == 200
              and f"Replay row #{replayed}" in browser.text("main p") and browser.exists("#confirm"),
              "Replay… opens a confirmation page (GET, nothing changed yet)", f"{statuses(documents)}; {browser.text('main p')!r}")
        documents = browser.submit(browser.driver.find_element(By.ID, "confirm"))
        check(final_status(documents, "POST", f"/admin/outbox/{replayed}/replay") == 303
              and browser.path == f"/admin/outbox/{replayed}?done=replayed",
              "confirming POSTs the replay: 303 back to the row page", f"{statuses(documents)}; at {browser.path}")
        check(browser.text("#row-status") == "pending" and browser.text(".notice") == "Row replayed.",
              f"row #{replayed} now shows status pending and the notice 'Row replayed.'",
              f"#row-status {browser.text('#row-status')!r}, notice {browser.text('.notice')!r}")
        check(not browser.exists("#replay"), "a pending row no longer offers Replay…")
        browser.screenshot("row-replayed.png")
        browser.get("/admin/outbox?status=failed")
        check(replayed not in [r for r, _ in browser.rows()], f"row #{replayed} left the failed filter")

        # --- A stale CSRF token is refused and changes nothing.
        # Keep the confirmation form of this session...
        browser.get(f"/admin/outbox/{kept}/replay")
        old_form = browser.driver.find_element(By.CSS_SELECTOR, "main form").get_attribute("outerHTML")
        old_token = browser.csrf_token()
        check(bool(old_token) and f'action="/admin/outbox/{kept}/replay"' in old_form, f"kept the replay form of row #{kept} (session 1)")
        header_token = browser.csrf_token("header form")
        check(header_token == old_token, "the sign-out form carries the session's CSRF token")
        # ...sign out (the old session ends)...
        documents = browser.sign_out()
        check(final_status(documents, "POST", "/admin/sign-out") == 303 and browser.path == "/admin/sign-in" and browser.session_cookie() is None,
              "Sign out: 303 to /admin/sign-in, session cookie gone", statuses(documents))
        browser.get("/admin/outbox")
        check(browser.path == "/admin/sign-in", "after signing out, /admin/outbox redirects to sign-in")
        # ...and sign in again: a new session with a new token.
        browser.sign_in(OPERATOR_KEY)
        check(browser.path == "/admin/outbox", "signed in again (session 2)")
        browser.get(f"/admin/outbox/{kept}/replay")
        new_token = browser.csrf_token()
        check(new_token and new_token != old_token, "session 2 has a CSRF token of its own")
        # Submit session 1's form: the same form, its hidden csrf_token being session 1's.
        for label, token in (("session 1's token (the kept form)", old_token), ("a tampered token", new_token[:-2] + ("AA" if not new_token.endswith("AA") else "BB")),
                             ("an empty token", "")):
            browser.get(f"/admin/outbox/{kept}/replay")
            browser.driver.execute_script("document.querySelector('main form input[name=csrf_token]').value = arguments[0]", token)
            documents = browser.submit(browser.driver.find_element(By.ID, "confirm"))
            check(final_status(documents, "POST", f"/admin/outbox/{kept}/replay") == 403 and browser.h1() == EXPIRED_TITLE
                  and "Nothing was changed" in (browser.text("main p") or ""),
                  f"replay POST with {label}: 403 'This form has expired'", f"{statuses(documents)}; h1 {browser.h1()!r}")
            check(row_status(browser, kept) == "failed", f"row #{kept} is still failed after the refused POST", browser.text("#row-status"))
        # Sign-out with a stale token is refused too, and the session survives it.
        browser.driver.execute_script("document.querySelector('header form input[name=csrf_token]').value = arguments[0]", old_token)
        documents = browser.sign_out()
        check(final_status(documents, "POST", "/admin/sign-out") == 403 and browser.h1() == EXPIRED_TITLE,
              "sign-out POST with session 1's token: 403 'This form has expired'", f"{statuses(documents)}; h1 {browser.h1()!r}")
        browser.get("/admin/outbox")
        check(browser.path == "/admin/outbox", "the session survived the refused sign-out")

        # --- Another organisation's operator sees none of it.
        other = Browser()
        documents = other.sign_in(OTHER_OPERATOR_KEY)
        check(other.path == "/admin/outbox", "sign-in with OTHER_OPERATOR_KEY", f"{statuses(documents)}; at {other.path}")
        for path in ("/admin/outbox", "/admin/outbox?status=failed"):
            other.get(path)
            check(other.rows() == [] and "No rows match." in other.driver.find_element(By.TAG_NAME, "main").text,
                  f"the other organisation's {path} lists no rows ('No rows match.')", repr(other.rows()))
        for path in (f"/admin/outbox/{kept}", f"/admin/outbox/{kept}/replay", f"/admin/outbox/{replayed}"):
            documents = other.get(path)
            check(final_status(documents, path=path) == 404 and other.h1() == "Not found" and not other.exists("#row-status"),
                  f"the other organisation's GET {path}: 404 'Not found' page", f"{statuses(documents)}; h1 {other.h1()!r}")
        # Its own valid token on a POST to our row: still not found, nothing changed.
        other.get("/admin/outbox")
        other_token = other.csrf_token("header form")
        other.get("/admin/outbox")
        other.driver.execute_script(
            "const f = document.querySelector('form.filters'); f.method = 'post'; f.action = arguments[0];"
            "const i = document.createElement('input'); i.type = 'hidden'; i.name = 'csrf_token'; i.value = arguments[1]; f.appendChild(i);"
            "for (const e of f.querySelectorAll('select, input:not([type=hidden])')) e.disabled = true;",
            f"/admin/outbox/{kept}/replay", other_token)
        documents = other.submit(other.driver.find_element(By.ID, "filter"))
        check(final_status(documents, "POST", f"/admin/outbox/{kept}/replay") == 404 and other.h1() == "Not found",
              f"the other organisation's replay POST for row #{kept} (its own valid token): 404", f"{statuses(documents)}; h1 {other.h1()!r}")
        check(row_status(browser, kept) == "failed", f"row #{kept} is still failed after the other organisation's POST", browser.text("#row-status"))
    except Exception as error:
        failures.append("the flow stopped on an exception")
        frame = next((f for f in reversed(traceback.extract_tb(error.__traceback__)) if f.filename == __file__), None)
        where = f"line {frame.lineno}: {frame.line}" if frame else ""
        print(f"ERROR {where}\n      {type(error).__name__}: {getattr(error, 'msg', None) or error}")
        for b, name in ((browser, "failure.png"), (other, "failure-other.png")):
            if b is not None:
                print(f"     at {b.driver.current_url}: h1 {b.h1()!r}")
                try:
                    b.screenshot(name)
                except Exception:
                    pass
    finally:
        browser.quit()
        if other is not None:
            other.quit()
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s) in {time.monotonic() - started:.1f}s")
    for what in failures:
        print(f"  - {what}")
    return 1 if failures else 0


if __name__ == "__main__":
    missing = [name for name, value in (("ATSGATE_URL", BASE), ("OPERATOR_KEY", OPERATOR_KEY), ("READER_KEY", READER_KEY),
                                        ("OTHER_OPERATOR_KEY", OTHER_OPERATOR_KEY)) if not value]
    if missing:
        sys.exit(f"admin_flow.py: set {', '.join(missing)} (scripts/serve-fixture writes keys.env)")
    sys.exit(run())
