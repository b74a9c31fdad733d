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
  auditor   sees those calls in the audit log and verifies the log
  anyone    without the session, or without the CSRF token, is refused

Every wait is on something observable (a line a process prints, a file that appears, an element
of the page) with a generous deadline, never a fixed sleep. Screenshots of each page go to
--screenshots. Run by ctest (tests/console/CMakeLists.txt); deploy/test.sh installs chromium,
chromium-driver and python3-selenium.
"""
import argparse
import json
import os
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
    from selenium.webdriver.common.by import By
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
        self.port = int(line.rsplit("port=", 1)[1].split()[0])
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
        self.consoles[role] = {"url": url, "base": base, "process": console}

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

    def shot(self, name):
        self.shot_count += 1
        path = os.path.join(self.shots, "%02d-%s.png" % (self.shot_count, name))
        # The whole page, not only the window.
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, max(800, min(height + 40, 6000)))
        self.driver.save_screenshot(path)
        self.driver.set_window_size(1280, 1600)

    def wait(self, condition, what):
        try:
            return WebDriverWait(self.driver, DEADLINE, poll_frequency=0.1).until(condition)
        except Exception:
            fail("waiting for %s at %s:\n%s" % (what, self.driver.current_url,
                                                self.driver.find_element(By.TAG_NAME, "body").text[:3000]))

    def open(self, role, path):
        self.driver.get(self.consoles[role]["base"] + path)
        self.wait(EC.presence_of_element_located((By.ID, "main")), path)

    def sign_in(self, role):
        self.driver.get(self.consoles[role]["url"])
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
        self.submit()
        results = self.wait(EC.visibility_of_element_located((By.ID, "results")), "the results")
        if "Petrović" not in results.text or "1000000456" not in results.text:
            fail("the Cyrillic spelling did not find the record: " + results.text)
        self.shot("court-search")
        self.driver.find_element(By.CSS_SELECTOR, "#results table.results a[href*='/records/']").click()
        self.wait(EC.url_contains("case_ref="), "the court's record page")
        if "Petrović" not in self.driver.find_element(By.TAG_NAME, "main").text:
            fail("the court's record page does not show the record")
        self.shot("court-record")

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
        for action in ("WhoAmI", "CreateRecord", "SearchRecords", "VettingCheck", "ImportRecords"):
            if action not in events.text:
                fail("the audit log page does not show %s:\n%s" % (action, events.text))
        self.shot("auditor-events")
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
        for role in ("clerk", "court", "vetting", "auditor"):
            run.start_console(role)
        for step in (run.clerk, run.court, run.employer, run.auditor, run.refusals):
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
    print("browser tests: 5 passed, 0 failed (%.1f s)" % (time.monotonic() - start))


if __name__ == "__main__":
    main()
