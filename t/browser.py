#!/usr/bin/python3
"""Drive headless Chromium against a status page and a board; print what a
person would see as JSON (t/browser.t asserts on it).

    browser.py STATUS_URL BOARD_URL SCREENSHOT_DIR
"""
import json
import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

status_url, board_url, shots = sys.argv[1:4]
profile = tempfile.mkdtemp(prefix="phonehome-chromium-")
opts = webdriver.ChromeOptions()
for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
          "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--user-data-dir=" + profile):
    opts.add_argument(a)
opts.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                          options=opts)
driver.set_page_load_timeout(60)
out = {}

PROBE = """
const q = s => Array.from(document.querySelectorAll(s));
const visible = e => { const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 &&
         getComputedStyle(e).visibility !== 'hidden'; };
return {
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  cards: q('.card').map(c => c.className.replace('card ', '')),
  devs: q('.card .dev').map(e => e.textContent),
  disp: q('.card .disp').filter(visible).map(e => e.textContent),
  frames: q('.card .frame').filter(visible).length,
  bars: q('.card .frame b').length,
  nohist: q('.card .nohist').filter(visible).length,
  images: document.images.length,
  scripts: document.scripts.length,
  text: document.body.innerText,
  styled: getComputedStyle(document.querySelector('.card')).borderLeftStyle,
  xss: window.__phonehome_xss === 1
};
"""

try:
    for width in (1280, 390):
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": 900, "deviceScaleFactor": 1,
            "mobile": width < 500})
        for name, url in (("status", status_url), ("board", board_url)):
            driver.get(url)
            r = driver.execute_script(PROBE)
            r["title"] = driver.title
            driver.save_screenshot(os.path.join(shots, "%s-%d.png"
                                                % (name, width)))
            out["%s-%d" % (name, width)] = r
finally:
    driver.quit()
print(json.dumps(out))
