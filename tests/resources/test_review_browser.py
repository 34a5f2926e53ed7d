"""The review pages driven in real headless Chromium: Debian's /usr/bin/chromium and its chromedriver (`make browser`
installs them), never a downloaded browser."""

import os
import socket
import threading
import time

import pytest
from aiwf_state import local_store

from resources.approvals.review_app import create_app
from resources.approvals.store import ApprovalStore

pytestmark = pytest.mark.integration
TOKENS = "view-token-1:viewer:victor,approve-token-1:approver:alice"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        from local_services import require_service

        require_service("Chromium", "`make browser` (as root: apt-get install -y chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)  # a given driver: nothing downloaded
    driver.implicitly_wait(0)  # waits are explicit, so asserting absence costs nothing
    yield driver
    driver.quit()


@pytest.fixture
def site(browser):
    """The review app on real uvicorn for this test's AIWF_HOME, with three pending items."""
    import uvicorn

    store = ApprovalStore(local_store())
    items = [store.propose("content_ops", f"post-{i}", f"Proposed copy {i}\nsecond line", current=f"Old copy {i}",
                           evidence={"checks": ["tone_matches"]}, reasons=["failed a non-blocking check"])
             for i in (1, 2, 3)]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(store, TOKENS), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    browser.delete_all_cookies()
    yield f"http://127.0.0.1:{port}", items
    server.should_exit = True
    thread.join(timeout=5)


def _wait(browser, element_id: str, text: str | None = None):
    """The element once the page that has it (and the text, if given) has loaded."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    if text is not None:
        WebDriverWait(browser, 5).until(ec.text_to_be_present_in_element((By.ID, element_id), text))
    return WebDriverWait(browser, 5).until(ec.presence_of_element_located((By.ID, element_id)))


def _login(browser, base: str, token: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/login")
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "login-button").click()
    assert _wait(browser, "who").text.startswith(("alice", "victor"))


def test_approve_in_the_browser(browser, site):
    from selenium.webdriver.common.by import By

    base, items = site
    _login(browser, base, "approve-token-1")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#approvals tbody tr")) == 3
    browser.find_element(By.LINK_TEXT, "post-1").click()
    _wait(browser, "status")
    assert "Proposed copy 1" in browser.find_element(By.CSS_SELECTOR, "table.diff").text
    browser.find_element(By.ID, "approve").click()
    assert _wait(browser, "status", "approved").text == "approved"
    assert ApprovalStore(local_store()).get(items[0].id).decided_by == "alice"


def test_reject_with_a_reason_in_the_browser(browser, site):
    from selenium.webdriver.common.by import By

    base, items = site
    _login(browser, base, "approve-token-1")
    browser.get(f"{base}/approvals/{items[1].id}")
    _wait(browser, "reason").send_keys("Claims a discount we do not offer")
    browser.find_element(By.ID, "reject").click()
    assert _wait(browser, "status", "rejected").text == "rejected"
    assert ApprovalStore(local_store()).get(items[1].id).reason == "Claims a discount we do not offer"


def test_edit_and_approve_in_the_browser(browser, site):
    from selenium.webdriver.common.by import By

    base, items = site
    _login(browser, base, "approve-token-1")
    browser.get(f"{base}/approvals/{items[2].id}")
    box = browser.find_element(By.ID, "output")
    box.clear()
    box.send_keys("Reviewer's copy 3\nsecond line")
    browser.find_element(By.ID, "edit").click()
    assert _wait(browser, "status", "edited").text == "edited"
    assert "Reviewer's copy 3" in browser.find_element(By.CSS_SELECTOR, "table.diff").text
    decided = ApprovalStore(local_store()).get(items[2].id)
    assert decided.output == "Reviewer's copy 3\nsecond line" and decided.proposed_output.startswith("Proposed")


def test_a_viewer_sees_no_decision_controls(browser, site):
    from selenium.webdriver.common.by import By

    base, items = site
    _login(browser, base, "view-token-1")
    assert browser.find_elements(By.ID, "bulk-approve") == []
    assert browser.find_elements(By.CSS_SELECTOR, "input[type=checkbox]") == []
    browser.get(f"{base}/approvals/{items[0].id}")
    assert _wait(browser, "status").text == "pending"
    assert browser.find_elements(By.ID, "decisions") == []
    assert browser.find_elements(By.CSS_SELECTOR, "#approve, #reject, #edit, textarea") == []


def test_a_form_post_without_the_csrf_token_is_refused(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, items = site
    _login(browser, base, "approve-token-1")
    browser.get(f"{base}/approvals/{items[0].id}")
    browser.execute_script(  # what a forged cross-site form would send: the cookie but no CSRF token
        "document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    browser.find_element(By.ID, "approve").click()
    WebDriverWait(browser, 5).until(lambda b: "CSRF" in b.page_source)
    assert "CSRF token missing or invalid" in browser.find_element(By.TAG_NAME, "body").text
    assert ApprovalStore(local_store()).get(items[0].id).status == "pending"
