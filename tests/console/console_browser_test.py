#!/usr/bin/python3
"""registry-console in a real browser: Debian's chromium, driven headless through chromedriver and
python3-selenium, against a real registryd and one console per role, each with its own identity
from the test PKI.

  clerk     enters a record through the form, first with an invalid date of birth whose error
            must appear beside its field; corrects a field and sees the change in the history;
            checks and imports a CSV file with a progress bar
  court     cannot search before giving a case reference and a purpose; finds the record by the
            Serbian Cyrillic spelling of the name
  employer  gets NOT_CLEAR, downloads the certificate, which `registry-cli certificate verify`
            accepts
  anyone    without the session, or without the CSRF token, is refused; a role's page is refused
            to another role
  clerk     disputes and resolves the record, answers the data subject's "who checked me",
            expunges the record after a wrong and then the right typed confirmation
  auditor   sees those calls in the audit log (and no record contents), opens an event, verifies
            the log and exports events for a named recipient
  officer   makes a backup, checks the data, rotates the key after typing the word, checks again
  keyboard  the skip link comes first and shows itself, focus is always visible, Enter sends a form
  languages the switch turns the page into English and Serbian and back into Albanian

Every page screenshot is also checked for a language, one heading and a label on every control.

Every wait is on something observable (a line a process prints, a file that appears, an element
of the page) with a generous deadline, never a fixed sleep. Screenshots of each page go to
--screenshots. Run by ctest (tests/console/CMakeLists.txt); deploy/test.sh installs chromium,
chromium-driver and python3-selenium.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Generous: two cores shared with compilers and other tests.
DEADLINE = 90

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.common.exceptions import (JavascriptException, NoSuchElementException,
                                            StaleElementReferenceException)
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    webdriver = None


def fail(message):
    print("FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def wait_for(what, predicate, deadline=DEADLINE):
    """Polls predicate() until it returns something true; fails after the deadline."""
    end = time.monotonic() + deadline
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            fail("timed out waiting for " + what)
        time.sleep(0.05)


class Process:
    """A child process whose stderr and stdout are collected line by line."""

    def __init__(self, name, args, env=None):
        self.name = name
        self.lines = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=env, text=True, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def find(self, marker):
        with self.lock:
            for line in self.lines:
                if marker in line:
                    return line
        if self.proc.poll() is not None:
            fail("%s exited (%s) before printing %r:\n%s" % (self.name, self.proc.returncode, marker,
                                                            "\n".join(self.lines)))
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Run:
    def __init__(self, args):
        self.build = os.path.abspath(args.build)
        self.source = os.path.abspath(args.source)
        self.pki = os.path.abspath(args.pki)
        self.shots = os.path.abspath(args.screenshots)
        os.makedirs(self.shots, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="console-browser-")
        self.downloads = os.path.join(self.tmp, "downloads")
        os.makedirs(self.downloads)
        self.processes = []
        self.driver = None
        self.consoles = {}
        self.shot_count = 0

    # ---- set-up ----

    def start_registry(self):
        d = os.path.join(self.tmp, "registry")
        os.makedirs(d)
        subprocess.run([os.path.join(self.build, "registryd"), "--generate_key_file",
                        os.path.join(d, "keys.json")], check=True, capture_output=True)
        shutil.copy(os.path.join(self.source, "deploy/dev/policy.json"), os.path.join(d, "policy.json"))
        config = {
            "listen_address": "127.0.0.1:0",
            "tls": {
                "client_ca_file": os.path.join(self.pki, "ca/ca.pem"),
                "cert_file": os.path.join(self.pki, "server/cert.pem"),
                "key_file": os.path.join(self.pki, "server/key.pem"),
                "crl_directory": os.path.join(self.pki, "crl"),
            },
            "data_dir": "data",
            "backup_dir": "backups",
            "key_file": "keys.json",
            "policy_file": "policy.json",
            "reference_dir": os.path.join(self.source, "deploy/reference"),
        }
        self.config = os.path.join(d, "registryd.json")
        with open(self.config, "w") as f:
            json.dump(config, f)
        subprocess.run([os.path.join(self.build, "registryd"), "--config", self.config,
                        "--export_public_keys", d], check=True, capture_output=True)
        self.vetting_key = os.path.join(d, "vetting.pub.pem")
        self.audit_key = os.path.join(d, "audit.pub.pem")
        registry = Process("registryd", [os.path.join(self.build, "registryd"), "--config", self.config])
        self.processes.append(registry)
        line = wait_for("registryd to serve", lambda: registry.find("registryd serving"))
        # A JSON log line ("port":N) or a key=value one (port=N).
        found = re.search(r'"?port"?\s*[=:]\s*(\d+)', line)
        if not found:
            fail("no port in registryd's line: " + line)
        self.port = int(found.group(1))
        self.server = "127.0.0.1:%d" % self.port

    def start_console(self, role):
        url_file = os.path.join(self.tmp, role + ".url")
        env = dict(os.environ, HOME=os.path.join(self.tmp, "home-" + role))
        os.makedirs(env["HOME"])
        console = Process("registry-console (%s)" % role, [
            os.path.join(self.build, "registry-console"), "--identity", os.path.join(self.pki, role),
            "--server", self.server, "--listen", "127.0.0.1:0", "--url-file", url_file,
            "--audit-public-key", self.audit_key], env=env)
        self.processes.append(console)
        wait_for("the %s console's address" % role, lambda: console.find("Open this address"))
        with open(url_file) as f:
            url = f.read().strip()
        base = url.split("/start?")[0]
        self.consoles[role] = {"url_file": url_file, "base": base, "process": console}

    def start_browser(self):
        if webdriver is None:
            fail("python3-selenium is missing: apt-get install python3-selenium (deploy/test.sh does)")
        for program in (CHROMIUM, CHROMEDRIVER):
            if not os.access(program, os.X_OK):
                fail(program + " is missing: apt-get install chromium chromium-driver "
                     "(deploy/test.sh does)")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1280,1600",
                     "--user-data-dir=" + os.path.join(self.tmp, "chromium")):
            options.add_argument(flag)
        options.add_experimental_option("prefs", {
            "download.default_directory": self.downloads,
            "download.prompt_for_download": False,
        })
        service = Service(executable_path=CHROMEDRIVER, log_path=os.path.join(self.tmp, "chromedriver.log"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(DEADLINE)
        self.driver.execute_cdp_cmd("Page.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": self.downloads})

    def stop(self):
        if self.driver is not None:
            try:
                self.driver.quit()
            except Exception:  # the browser may be gone already
                pass
        for process in reversed(self.processes):
            process.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- helpers ----

    def check_accessible(self):
        """The page in front of the browser has a language, one main heading, and a name for
        every control a person can reach (a label, or a button's own text)."""
        problems = self.driver.execute_script("""
            const problems = [];
            if (!document.documentElement.lang) problems.push('no lang on <html>');
            const headings = document.querySelectorAll('h1').length;
            if (headings !== 1) problems.push(headings + ' h1 headings');
            for (const el of document.querySelectorAll('input, select, textarea, button')) {
              if (el.type === 'hidden') continue;
              const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') ||
                  (el.tagName === 'BUTTON' && el.textContent.trim() !== '');
              if (!named) problems.push('no label: ' + el.tagName + ' ' + (el.id || el.name));
            }
            for (const img of document.querySelectorAll('img')) {
              if (!img.hasAttribute('alt')) problems.push('no alt: ' + img.src);
            }
            return problems;""")
        if problems:
            fail("%s is not accessible: %r" % (self.driver.current_url, problems))

    def status_of(self, method, path, body=None):
        """The HTTP status a fetch from the current page gets (the browser's own cookies)."""
        script = ("const done = arguments[arguments.length - 1];"
                  "fetch(arguments[0], {method: arguments[1], body: arguments[2] === null ? undefined"
                  " : new URLSearchParams(arguments[2])}).then(r => done(r.status))"
                  ".catch(e => done(String(e)));")
        return self.driver.execute_async_script(script, path, method, body)

    def shot(self, name):
        self.check_accessible()
        self.shot_count += 1
        path = os.path.join(self.shots, "%02d-%s.png" % (self.shot_count, name))
        # The whole page, not only the window.
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, max(800, min(height + 40, 6000)))
        self.driver.save_screenshot(path)
        self.driver.set_window_size(1280, 1600)

    def expect_tables_keep_words(self, what, width, numbers):
        """At `width` CSS px no page scrolls sideways, every table stands in its own scrolling box,
        and no number, id, date or code of a table (a td.nowrap) is broken over two lines: each of
        `numbers` is found so."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": 1200, "deviceScaleFactor": 1, "mobile": False})
        try:
            problems = self.driver.execute_script("""
                const numbers = arguments[0];
                const problems = [];
                const root = document.documentElement;
                if (root.scrollWidth > root.clientWidth) {
                  // The innermost elements that reach past the page's right edge.
                  const wide = Array.from(document.querySelectorAll("body *")).filter(
                      e => e.getBoundingClientRect().right > root.clientWidth + 1 &&
                           !Array.from(e.children).some(
                               c => c.getBoundingClientRect().right > root.clientWidth + 1));
                  problems.push("the page scrolls sideways: " + root.scrollWidth + " > " +
                                root.clientWidth + ", past its edge: " + wide.slice(0, 5).map(
                                    e => e.tagName + (e.id ? "#" + e.id : "") +
                                         (e.className ? "." + e.className : "")).join(", "));
                }
                for (const table of document.querySelectorAll("main table")) {
                  if (!table.parentElement.classList.contains("table-scroll")) {
                    problems.push("a table outside a scrolling box: " + table.className);
                  }
                }
                const whole = new Set();
                for (const cell of document.querySelectorAll("main td.nowrap")) {
                  const range = document.createRange();
                  range.selectNodeContents(cell);
                  const lines = new Set(Array.from(range.getClientRects(),
                                                   r => Math.round(r.top)));
                  const text = cell.textContent.trim();
                  if (lines.size > 1) {
                    problems.push("'" + text + "' is broken over " + lines.size + " lines");
                  } else {
                    whole.add(text);
                  }
                }
                for (const number of numbers) {
                  if (!whole.has(number)) problems.push("no cell holds '" + number + "' whole");
                }
                return problems;""", numbers)
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        if problems:
            fail("%s at %d px: %r" % (what, width, problems))

    def wait(self, condition, what):
        try:
            # A page being replaced under the condition's feet is a reason to look again.
            return WebDriverWait(self.driver, DEADLINE, poll_frequency=0.1,
                                 ignored_exceptions=(NoSuchElementException,
                                                     StaleElementReferenceException,
                                                     JavascriptException)).until(condition)
        except Exception:
            fail("waiting for %s at %s:\n%s" % (what, self.driver.current_url,
                                                self.driver.find_element(By.TAG_NAME, "body").text[:3000]))

    def open(self, role, path):
        self.driver.get(self.consoles[role]["base"] + path)
        self.wait(EC.presence_of_element_located((By.ID, "main")), path)

    def sign_in(self, role):
        # Each start address opens one session: the console writes the next one to --url-file
        # (and prints it) as the last is used, so each sign-in reads it anew.
        with open(self.consoles[role]["url_file"]) as f:
            url = f.read().strip()
        self.driver.get(url)
        self.wait(EC.url_to_be(self.consoles[role]["base"] + "/"), role + "'s home page")
        self.driver.get(url)
        self.wait(EC.url_to_be(self.consoles[role]["base"] + "/not-started?why=secret"),
                  "a start address used once opens nothing again")
        with open(self.consoles[role]["url_file"]) as f:
            url = f.read().strip()
        self.driver.get(url)
        self.wait(EC.url_to_be(self.consoles[role]["base"] + "/"), role + "'s home page")

    def type(self, element_id, text):
        element = self.driver.find_element(By.ID, element_id)
        element.clear()
        element.send_keys(text)

    def choose(self, element_id, value):
        Select(self.driver.find_element(By.ID, element_id)).select_by_value(value)

    def submit(self, button_css="button.primary"):
        self.driver.find_element(By.CSS_SELECTOR, "main " + button_css).click()

    # ---- the scenario ----

    def clerk(self):
        self.sign_in("clerk")
        self.shot("clerk-home")
        self.open("clerk", "/records/new")
        self.type("surname", "Petrović")
        self.type("given-name", "Đorđe")
        self.type("father-name", "Milan")
        self.choose("sex", "male")
        self.type("birth-date", "1979-02-30")  # no such day: the registry must say so
        self.type("birth-place", "Graçanicë")
        self.type("citizenship", "XK")
        self.type("personal-number", "1000000456")
        self.type("address", "Rr. Nëna Terezë 5, Prishtinë")
        self.choose("court", "basic-prishtine")
        self.type("case-number", "P 55/2025")
        self.type("judgment-date", "2025-01-10")
        self.type("final-date", "2025-03-01")
        self.driver.find_element(By.CSS_SELECTOR, "input[name=offence][value='06/L-074:229:0']").click()
        self.choose("sentence", "imprisonment")
        self.type("months", "24")
        self.driver.find_element(By.ID, "ban-work_with_children").click()
        self.type("ban-work_with_children-end", "2035-03-01")
        self.submit()
        # The error stands beside the field it is about, and only that field is in error.
        error = self.wait(EC.visibility_of_element_located((By.ID, "birth-date-error")),
                          "the error beside the date of birth")
        field = self.driver.find_element(By.ID, "field-birth-date")
        if error not in field.find_elements(By.CLASS_NAME, "field-error"):
            fail("the date-of-birth error is not inside the field's own group")
        if not error.text.strip():
            fail("the date-of-birth error is empty")
        others = [e.get_attribute("id") for e in self.driver.find_elements(By.CSS_SELECTOR, ".field-error")]
        if others != ["birth-date-error"]:
            fail("expected one error, beside the date of birth; got %r" % others)
        if self.driver.find_element(By.ID, "birth-date").get_attribute("aria-invalid") != "true":
            fail("the invalid input is not marked aria-invalid")
        if self.driver.find_element(By.ID, "surname").get_attribute("value") != "Petrović":
            fail("the form lost what was typed")
        self.shot("clerk-record-form-error")
        self.type("birth-date", "1979-02-03")
        self.submit()
        self.wait(EC.url_contains("?done=created"), "the new record's page")
        self.record_id = self.driver.current_url.split("/records/")[1].split("?")[0]
        if "Petrović" not in self.driver.find_element(By.TAG_NAME, "main").text:
            fail("the record page does not show the record")
        self.shot("clerk-record")

        # A correction, then the history with the change marked.
        self.open("clerk", "/records/%s/amend" % self.record_id)
        self.type("address", "Rr. Fehmi Agani 7, Pejë")
        self.type("reason", "address corrected by court notice 12/2026")
        self.submit()
        self.wait(EC.url_contains("?done=amended"), "the amended record")
        self.open("clerk", "/records/%s/history" % self.record_id)
        changed = self.driver.find_elements(By.CSS_SELECTOR, "tr.changed")
        if len(changed) != 1 or "Fehmi Agani" not in changed[0].text:
            fail("the history does not mark the changed address: %r" % [c.text for c in changed])
        self.shot("clerk-history")

        # Bulk import: the check lists the bad line, then the import runs with a progress bar.
        self.open("clerk", "/import")
        self.driver.find_element(By.ID, "file").send_keys(
            os.path.join(self.source, "deploy/examples/import.csv"))
        self.submit()
        bad = self.wait(EC.visibility_of_element_located((By.ID, "bad-lines")), "the dry-run report")
        if "7" not in bad.text:
            fail("the dry run does not list line 7: " + bad.text)
        self.shot("clerk-import-check")
        self.driver.find_element(By.CSS_SELECTOR, "form[action='/import/run'] button").click()
        summary = self.wait(EC.visibility_of_element_located((By.ID, "import-summary")),
                            "the import's end")
        if "5" not in summary.text:
            fail("the import did not create the 5 valid rows: " + summary.text)
        self.shot("clerk-import-done")

    def court(self):
        self.sign_in("court")
        self.open("court", "/search")
        self.type("surname", "Петровић")
        self.type("given-name", "Ђорђе")
        self.type("birth-date", "1979-02-03")
        # Without a case reference and a purpose the search button does not send the form.
        form = self.driver.find_element(By.CSS_SELECTOR, "form.search")
        if self.driver.execute_script("return arguments[0].checkValidity()", form):
            fail("the search form is valid without a case reference and a purpose")
        url = self.driver.current_url
        self.submit()
        if self.driver.current_url != url or self.driver.find_elements(By.ID, "results"):
            fail("the search ran without a case reference and a purpose")
        self.type("case_ref", "PKR 77/2026")
        self.choose("purpose", "criminal_proceedings")
        # Sent from the keyboard: Enter in a field.
        self.driver.find_element(By.ID, "birth-date").send_keys(Keys.ENTER)
        results = self.wait(EC.visibility_of_element_located((By.ID, "results")), "the results")
        if "Petrović" not in results.text or "1000000456" not in results.text:
            fail("the Cyrillic spelling did not find the record: " + results.text)
        self.shot("court-search")
        # A personal number and a date stay on one line, on a wide screen and a phone's.
        for width in (1280, 400):
            self.expect_tables_keep_words("the court's search results", width,
                                          ["1000000456", "1979-02-03"])
        # A court opens a record by a form that posts its case reference and purpose (never a
        # link that carries them), so the address names the record only.
        if self.driver.find_elements(By.CSS_SELECTOR, "#results table.results a[href*='/records/']"):
            fail("a court's search result opens the record by a link")
        self.driver.find_element(By.CSS_SELECTOR,
                                 "#results table.results form.open[action$='%s'] button"
                                 % self.record_id).click()
        # The read's POST is answered by a redirect to a page of the session's (its address a
        # random id): a reload shows it again, without sending the form again.
        self.wait(EC.url_matches(r"/records/[0-9a-f]{32}/read/[0-9a-f]{32}$"),
                  "the court's record page")
        read_url = self.driver.current_url
        self.driver.refresh()
        self.wait(EC.presence_of_element_located((By.ID, "main")), "the court's record page again")
        if self.driver.current_url != read_url:
            fail("a reload of the court's record page left it: " + self.driver.current_url)
        if "Petrović" not in self.driver.find_element(By.TAG_NAME, "main").text:
            fail("the court's record page does not show the record")
        self.shot("court-record")
        # The history, read under the same case reference and purpose.
        self.driver.find_element(By.CSS_SELECTOR, "main form.open[action$='/history'] button").click()
        self.wait(EC.url_matches(r"/history/read/[0-9a-f]{32}$"), "the court's history page")
        if len(self.driver.find_elements(By.CSS_SELECTOR, "main table.record")) != 2:
            fail("the court's history does not show the two versions")
        if len(self.driver.find_elements(By.CSS_SELECTOR, "tr.changed")) != 1:
            fail("the court's history does not mark the corrected address")
        # A clerk's page is not the court's: refused, and no form is shown.
        self.open("court", "/records/new")
        if self.driver.find_elements(By.ID, "surname"):
            fail("the court was shown the clerk's record form")
        if self.status_of("GET", "/records/new") != 403:
            fail("the clerk's form was not refused to the court")
        if self.status_of("POST", "/records/%s/expunge" % self.record_id,
                          {"csrf": self.driver.find_element(By.NAME, "csrf").get_attribute("value"),
                           "legal_basis": "x", "confirm": "P 55/2025"}) != 403:
            fail("the court could post to the clerk's expunge page")
        self.shot("court-refused-clerk-page")

    def employer(self):
        self.sign_in("vetting")
        self.open("vetting", "/vetting")
        self.type("personal-number", "1000000456")
        self.type("surname", "Petrović")
        self.type("given-name", "Đorđe")
        self.type("birth-date", "1979-02-03")
        self.choose("position", "teacher")
        self.type("consent_ref", "CONSENT-E2E-1")
        self.shot("employer-form")
        self.submit()
        code = self.wait(EC.visibility_of_element_located((By.ID, "result-code")), "the coded result")
        if code.text != "NOT_CLEAR":
            fail("expected NOT_CLEAR, got " + code.text)
        self.shot("employer-result")
        self.driver.find_element(By.ID, "certificate-json").click()
        path = wait_for("the certificate download", lambda: next(
            (os.path.join(self.downloads, f) for f in os.listdir(self.downloads)
             if f.endswith(".json") and not f.endswith(".crdownload")), None))
        wait_for("the whole certificate file", lambda: os.path.getsize(path) > 0 and
                 json.load(open(path)).get("certificate"))
        verify = subprocess.run([os.path.join(self.build, "registry-cli"), "certificate", "verify",
                                 path, "--public-key", self.vetting_key], capture_output=True, text=True)
        if verify.returncode != 0 or "valid: NOT CLEAR" not in verify.stdout:
            fail("registry-cli certificate verify refused the download: %s %s" % (verify.stdout, verify.stderr))
        self.open("vetting", "/vetting/certificates/" + os.path.basename(path)[len("certificate-"):-len(".json")])
        text = self.driver.find_element(By.TAG_NAME, "main").text
        if "registry-cli certificate verify" not in text:
            fail("the printable certificate does not say how to verify it")
        self.shot("employer-certificate")

    def auditor(self):
        self.sign_in("auditor")
        self.open("auditor", "/audit")
        events = self.wait(EC.visibility_of_element_located((By.ID, "events")), "the events table")
        for action in ("WhoAmI", "CreateRecord", "SearchRecords", "VettingCheck", "ImportRecords",
                       "AmendRecord", "DisputeRecord", "ResolveDispute", "ListChecksAboutPerson",
                       "ExpungeRecord"):
            if action not in events.text:
                fail("the audit log page does not show %s:\n%s" % (action, events.text))
        # The access log, not the records: no name or personal number appears in it.
        for secret in ("Petrović", "Đorđe", "1000000456", "Петровић"):
            if secret in self.driver.find_element(By.TAG_NAME, "main").text:
                fail("the audit log page shows record contents: " + secret)
        self.shot("auditor-events")
        # An event's number stayed "2" above "4", an action "CreateRecor" above "d".
        for width in (1280, 400):
            self.expect_tables_keep_words("the audit log", width, ["CreateRecord"])
        # One event whole.
        self.driver.find_element(By.CSS_SELECTOR, "#events tbody a[href^='/audit/events/']").click()
        self.wait(EC.url_contains("/audit/events/"), "an event's page")
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "main table")), "the event's fields")
        self.shot("auditor-event")
        self.open("auditor", "/audit")
        self.choose("action", "VettingCheck")
        self.submit()
        self.wait(EC.url_contains("action=VettingCheck"), "the filtered events")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#events tbody tr")
        if len(rows) != 1 or "VettingCheck" not in rows[0].text:
            fail("the filter did not keep the one vetting check: %r" % [r.text for r in rows])
        self.open("auditor", "/audit/verify")
        self.driver.find_element(By.ID, "verify-button").click()
        self.wait(EC.visibility_of_element_located((By.ID, "verify-result")), "the verification's end")
        result = self.driver.find_element(By.ID, "verify-result")
        if "result-clear" not in result.get_attribute("class"):
            fail("the log did not verify: " + self.driver.find_element(By.TAG_NAME, "main").text)
        if int(self.driver.find_element(By.ID, "tree-size").text) < 10:
            fail("the pinned head's tree size is implausible")
        self.shot("auditor-verified")
        # An export for a named recipient: a download of JSON lines, one per event.
        self.open("auditor", "/audit/export")
        self.type("recipient", "Ombudsperson Institution")
        self.type("reference", "OIK 12/2026")
        self.choose("action", "VettingCheck")
        self.shot("auditor-export")
        self.submit()
        path = wait_for("the export download", lambda: next(
            (os.path.join(self.downloads, f) for f in os.listdir(self.downloads)
             if f.startswith("audit-export") and f.endswith(".jsonl")), None))
        def exported():
            with open(path) as f:
                lines = [line for line in f.read().splitlines() if line.strip()]
            try:
                return [json.loads(line) for line in lines]
            except ValueError:  # still being written
                return None
        entries = wait_for("the whole export", exported)
        if len(entries) != 1 or "VettingCheck" not in json.dumps(entries[0]):
            fail("the export is not the one vetting check: %r" % entries)

    def refusals(self):
        base = self.consoles["clerk"]["base"]
        # No session: refused, whatever the page.
        for path in ("/", "/records/new", "/records/%s" % self.record_id):
            try:
                urllib.request.urlopen(base + path, timeout=DEADLINE)
                fail(path + " was served without a session")
            except urllib.error.HTTPError as e:
                if e.code != 401:
                    fail("%s without a session: %d" % (path, e.code))
        # In the browser, with the session but without the CSRF token: refused, nothing created.
        self.sign_in("clerk")
        status = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/records/new', {method: 'POST', body: new URLSearchParams({surname: 'X'})})"
            ".then(r => done(r.status)).catch(e => done(String(e)));")
        if status != 403:
            fail("a POST without the CSRF token got %r" % status)
        status = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/records/%s/dispute', {method: 'POST', body: new URLSearchParams("
            "{reason: 'x', csrf: 'f'.repeat(64)})}).then(r => done(r.status));" % self.record_id)
        if status != 403:
            fail("a POST with a wrong CSRF token got %r" % status)
        self.driver.delete_all_cookies()
        self.driver.get(base + "/")
        self.wait(EC.presence_of_element_located((By.TAG_NAME, "h1")), "the refusal page")
        self.shot("refused-without-session")
        # The clerk's record is unchanged: still active, no dispute was made.
        self.sign_in("clerk")
        self.open("clerk", "/records/%s" % self.record_id)
        if not self.driver.find_elements(By.CSS_SELECTOR, "form[action$='/dispute']"):
            fail("the refused request changed the record")

    def clerk_closing(self):
        # Dispute, then resolve, each with a reason.
        for action, done in (("dispute", "disputed"), ("resolve", "resolved")):
            self.open("clerk", "/records/%s" % self.record_id)
            form = self.driver.find_element(By.CSS_SELECTOR, "form[action$='/%s']" % action)
            form.find_element(By.NAME, "reason").send_keys("%s: letter of the data subject 3/2026" % action)
            form.find_element(By.TAG_NAME, "button").click()
            self.wait(EC.url_contains("?done=" + done), "the record, " + done)
            if action == "dispute":
                if not self.driver.find_elements(By.CSS_SELECTOR, "form[action$='/resolve']"):
                    fail("a disputed record offers no resolution")
                self.shot("clerk-disputed")
        # Who checked me: the employer's check is listed.
        self.open("clerk", "/subject")
        self.type("personal-number", "1000000456")
        self.type("request_ref", "DSR 4/2026")
        self.submit()
        results = self.wait(EC.visibility_of_element_located((By.ID, "results")), "who checked them")
        if len(results.find_elements(By.CSS_SELECTOR, "tbody tr")) != 1:
            fail("the data subject's answer does not list the one check: " + results.text)
        self.shot("clerk-subject")
        # Expunge: a wrong confirmation is refused beside its field, with every other problem the
        # console finds itself (the legal basis's comma), and kept as typed; the right one erases.
        self.open("clerk", "/records/%s/expunge" % self.record_id)
        self.type("legal_basis", "Judgment, Basic Court 9/2026")  # a comma the registry refuses
        self.type("confirm", "P 55/2024")
        self.submit("button.danger")
        self.wait(EC.visibility_of_element_located((By.ID, "confirm-error")), "the confirmation's error")
        if not self.driver.find_elements(By.ID, "legal_basis-error"):
            fail("the legal basis's problem was not named with the confirmation's")
        if self.driver.find_element(By.ID, "confirm").get_attribute("value") != "P 55/2024":
            fail("the refused confirmation was not kept as typed")
        self.shot("clerk-expunge-mismatch")
        self.type("confirm", "P 55/2025")
        self.submit("button.danger")
        self.wait(EC.visibility_of_element_located((By.ID, "legal_basis-error")),
                  "the registry's verdict beside the legal basis")
        if self.driver.find_elements(By.ID, "confirm-error"):
            fail("the matching confirmation is still marked")
        self.type("legal_basis", "Judgment of rehabilitation 9/2026 KP 04/L-082 art. 103")
        self.type("confirm", "P 55/2025")
        self.submit("button.danger")
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "main .notice")), "the erasure")
        self.open("clerk", "/records/%s" % self.record_id)
        if "Petrović" in self.driver.find_element(By.TAG_NAME, "main").text:
            fail("the expunged record is still shown")
        if self.status_of("GET", "/records/%s" % self.record_id) != 404:
            fail("the expunged record's page is not NOT_FOUND")

    def officer(self):
        self.sign_in("admin")
        self.open("admin", "/admin")
        self.driver.find_element(By.ID, "backup-button").click()
        self.wait(EC.visibility_of_element_located((By.ID, "admin-done")), "the backup")
        if len(self.driver.find_elements(By.CSS_SELECTOR, "#backups tbody tr")) != 1:
            fail("the backup is not listed")
        self.shot("officer-backups")
        self.check_data("officer-data-check")
        self.open("admin", "/admin/rotate-keys")
        self.type("confirm", "rotate")
        self.submit("button.danger")
        self.wait(EC.visibility_of_element_located((By.ID, "confirm-error")), "the refused rotation")
        self.type("confirm", "ROTATE")
        self.submit("button.danger")
        done = self.wait(EC.visibility_of_element_located((By.ID, "admin-done")), "the rotation")
        if "2" not in done.text:
            fail("the key version did not move to 2: " + done.text)
        self.shot("officer-rotated")
        self.check_data(None)

    def check_data(self, shot):
        self.open("admin", "/admin")
        self.driver.find_element(By.ID, "check-button").click()
        result = self.wait(EC.visibility_of_element_located((By.ID, "check-result")), "the data check")
        if "result-clear" not in result.get_attribute("class"):
            fail("the data check found problems: " + self.driver.find_element(By.TAG_NAME, "main").text)
        if shot:
            self.shot(shot)

    def keyboard(self):
        self.open("clerk", "/records/new")
        # The first Tab reaches the skip link, which comes into view with a visible outline.
        ActionChains(self.driver).send_keys(Keys.TAB).perform()
        active = self.driver.switch_to.active_element
        if "skip" not in (active.get_attribute("class") or ""):
            fail("the first Tab does not reach the skip link")
        self.expect_visible_focus(active, "the skip link")
        if active.rect["x"] < 0:
            fail("the focused skip link stays off the screen")
        # Enter on it moves to the content; the next Tab reaches the form's first field.
        active.send_keys(Keys.ENTER)
        ActionChains(self.driver).send_keys(Keys.TAB).perform()
        active = self.driver.switch_to.active_element
        if active.get_attribute("id") != "surname":
            fail("after the skip link, Tab reaches %r, not the surname" % active.get_attribute("id"))
        self.expect_visible_focus(active, "the surname field")
        # Every control of the form is reached by Tab alone, each with a visible focus.
        reached = set()
        for _ in range(200):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            active = self.driver.switch_to.active_element
            if active.tag_name == "body":
                break
            reached.add(active.get_attribute("id") or active.get_attribute("name") or active.tag_name)
            self.expect_visible_focus(active, active.get_attribute("id") or active.tag_name)
            if active.tag_name == "button" and active.get_attribute("class") == "primary":
                break
        for field in ("given-name", "birth-date", "court", "sentence", "ban-work_with_children"):
            if field not in reached:
                fail("Tab never reaches %s: %r" % (field, sorted(reached)))

    def expect_visible_focus(self, element, what):
        style, width = self.driver.execute_script(
            "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth];", element)
        if style == "none" or float(width.rstrip("px") or 0) < 2:
            fail("%s has no visible focus (outline %s %s)" % (what, style, width))

    def languages(self):
        self.open("clerk", "/records/new")
        for code, lang, surname in (("en", "en", "Surname"), ("sr", "sr-Latn", "Prezime"),
                                    ("sq", "sq", "Mbiemri")):
            self.choose("language", code)
            self.driver.find_element(By.CSS_SELECTOR, "form.lang button").click()
            self.wait(lambda d: d.execute_script("return document.documentElement.lang") == lang,
                      "the page in " + lang)
            if not self.driver.current_url.endswith("/records/new"):
                fail("the language switch left the page: " + self.driver.current_url)
            label = self.driver.find_element(By.CSS_SELECTOR, "label[for=surname]").text
            if not label.startswith(surname):
                fail("in %s the surname is labelled %r" % (lang, label))
            if code == "sr":
                self.shot("clerk-form-serbian")
        # What was typed and not yet sent goes with the switch (console.js) and is shown again.
        self.driver.find_element(By.ID, "surname").send_keys("Krasniqi")
        self.driver.find_element(By.ID, "given-name").send_keys("Driton")
        self.choose("language", "en")
        self.driver.find_element(By.CSS_SELECTOR, "form.lang button").click()
        self.wait(lambda d: d.execute_script("return document.documentElement.lang") == "en",
                  "the page in en with the form typed in")
        for field, typed in (("surname", "Krasniqi"), ("given-name", "Driton")):
            value = self.driver.find_element(By.ID, field).get_attribute("value")
            if value != typed:
                fail("the language switch lost the %s typed: %r" % (field, value))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--pki", required=True)
    parser.add_argument("--screenshots", required=True)
    run = Run(parser.parse_args())
    start = time.monotonic()
    try:
        run.start_browser()
        run.start_registry()
        for role in ("clerk", "court", "vetting", "auditor", "admin"):
            run.start_console(role)
        steps = (run.clerk, run.court, run.employer, run.refusals, run.clerk_closing, run.auditor,
                 run.officer, run.keyboard, run.languages)
        for step in steps:
            step_start = time.monotonic()
            step()
            print("%-9s ok (%.1f s)" % (step.__name__, time.monotonic() - step_start))
    except SystemExit:
        raise
    except Exception:
        traceback.print_exc()
        fail("unexpected error")
    finally:
        run.stop()
    print("screenshots in " + run.shots)
    print("browser tests: %d passed, 0 failed (%.1f s)" % (len(steps), time.monotonic() - start))


if __name__ == "__main__":
    main()
