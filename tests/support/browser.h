#pragma once

#include <map>
#include <string>

namespace aggpay::testing {

// One real-browser scenario: `node tests/browser/<script>` (Debian's chromium, headless, driven
// by puppeteer-core; tests/browser/README.md), with `env` added to the environment.
struct BrowserRun {
  int exit_code = -1;
  // stdout and stderr together: "ok - ..." or "not ok - ..." with the error, and result lines.
  std::string output;
  // The script's "KEY=VALUE" result lines.
  std::map<std::string, std::string> results;
};

// Runs the script to completion (at most `timeout_seconds`). A missing node, chromium or
// tests/browser/node_modules is a failed run whose output says what `tools/aggpay setup` installs.
// AGGPAY_SCREENSHOT_DIR, when set in the test's environment, is passed on: the scenarios write
// their screenshots there (docs/images/ is refreshed that way).
BrowserRun RunBrowserScript(const std::string& script,
                            const std::map<std::string, std::string>& env,
                            int timeout_seconds = 50);

}  // namespace aggpay::testing
