#include "tests/support/browser.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/test_servers.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {
namespace {

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

BrowserRun RunBrowserScript(const std::string& script,
                            const std::map<std::string, std::string>& env, int timeout_seconds) {
  BrowserRun run;
  const std::string dir = absl::StrCat(SourceDir(), "/tests/browser");
  const char* chromium = getenv("AGGPAY_CHROMIUM");
  const std::string browser = chromium != nullptr ? chromium : "/usr/bin/chromium";
  if (access(browser.c_str(), X_OK) != 0) {
    run.output =
        absl::StrCat(browser, " is missing: tools/aggpay setup installs Debian's chromium");
    return run;
  }
  if (access(absl::StrCat(dir, "/node_modules/puppeteer-core").c_str(), R_OK) != 0) {
    run.output =
        absl::StrCat(dir, "/node_modules has no puppeteer-core: tools/aggpay setup runs npm ci");
    return run;
  }
  std::string command = absl::StrCat("cd ", ShellQuote(dir), " && env");
  for (const auto& [k, v] : env) absl::StrAppend(&command, " ", k, "=", ShellQuote(v));
  // The gateway serves HTTPS under the test CA: node's own fetch trusts it (Chromium is started
  // with --ignore-certificate-errors by tests/browser/lib/harness.mjs).
  absl::StrAppend(&command, " NODE_EXTRA_CA_CERTS=", ShellQuote(TlsCaFile()));
  absl::StrAppend(&command, " AGGPAY_BROWSER_TIMEOUT_MS=", (timeout_seconds - 5) * 1000,
                  " timeout -k 5 ", timeout_seconds, " node ", ShellQuote(script), " 2>&1");
  CommandResult r = RunCommand(command);
  run.exit_code = r.exit_code;
  run.output = r.out;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos || eq == 0) continue;
    const absl::string_view key = line.substr(0, eq);
    if (key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") != absl::string_view::npos) {
      continue;
    }
    run.results[std::string(key)] = std::string(line.substr(eq + 1));
  }
  return run;
}

}  // namespace aggpay::testing
