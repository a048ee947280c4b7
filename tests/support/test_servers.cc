#include "tests/support/test_servers.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "services/common/mysql/migrator.h"

namespace aggpay::testing {

std::string SourceDir() {
  const char* dir = std::getenv("AGGPAY_SOURCE_DIR");
  return dir != nullptr ? dir : std::filesystem::current_path().string();
}

std::string BuildDir() {
  const char* dir = std::getenv("AGGPAY_BUILD_DIR");
  return dir != nullptr ? dir : absl::StrCat(SourceDir(), "/build");
}

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.out.append(buf.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Ports come from 20000-29999, below the kernel's ephemeral range (32768-60999), and each is
// claimed by a file under /tmp/aggpay-ports until a day old. A kernel-chosen port could be handed
// to another test's server while a test restarts its own on that port (a MariaDB restarted on
// its port then answered as someone else's); a claimed port outside that range is never reused
// by anyone while its test runs.
int FreePort() {
  const std::string dir = "/tmp/aggpay-ports";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto now = std::filesystem::file_time_type::clock::now();
  for (int attempt = 0; attempt < 2000; ++attempt) {
    const int port = 20000 + static_cast<int>(arc4random_uniform(10000));
    const std::string claim = absl::StrCat(dir, "/", port);
    if (std::filesystem::exists(claim, ec)) {
      if (now - std::filesystem::last_write_time(claim, ec) < std::chrono::hours(24)) continue;
      std::filesystem::remove(claim, ec);
    }
    const int fd = open(claim.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) continue;  // claimed by another test just now
    close(fd);
    const int sock = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const int one = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    const bool free = bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(sock);
    if (free) return port;
  }
  throw std::runtime_error("no free port in 20000-29999");
}

namespace {

std::string Script() { return absl::StrCat(SourceDir(), "/tools/lib/servers.sh"); }

void MustRun(const std::string& command) {
  CommandResult r = RunCommand(absl::StrCat(command, " 2>&1"));
  if (r.exit_code != 0) {
    throw std::runtime_error(absl::StrCat("command failed: ", command, "\n", r.out));
  }
}

}  // namespace

TestServers::TestServers() {
  std::array<char, 64> tmpl{};
  std::snprintf(tmpl.data(), tmpl.size(), "/tmp/aggpay-test-XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl.data();
  // A free port can be taken by a concurrently starting test binary: try again with others.
  for (int attempt = 1;; ++attempt) {
    mysql_port_ = FreePort();
    redis_port_ = FreePort();
    try {
      MustRun(absl::StrCat("AGGPAY_MYSQL_PASSWORD=aggpay bash ", Script(), " start-mysql ", dir_,
                           " ", mysql_port_));
      StartRedis();
      return;
    } catch (const std::runtime_error&) {
      RunCommand(absl::StrCat("bash ", Script(), " stop ", dir_, " >/dev/null 2>&1"));
      if (attempt == 3) throw;
    }
  }
}

TestServers::~TestServers() {
  RunCommand(absl::StrCat("bash ", Script(), " stop ", dir_, " >/dev/null 2>&1"));
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void TestServers::StopRedis() {
  RunCommand(absl::StrCat("bash -c 'source ", Script(), "; stop_pidfile ", dir_,
                          "/redis.pid' >/dev/null 2>&1"));
}

void TestServers::StartRedis() {
  MustRun(absl::StrCat("bash ", Script(), " start-redis ", dir_, " ", redis_port_));
}

namespace {

std::string PidFrom(const std::string& path) {
  CommandResult r = RunCommand(absl::StrCat("cat ", path, " 2>/dev/null"));
  std::string pid = r.out;
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  if (pid.empty()) throw std::runtime_error("no pid in " + path);
  return pid;
}

}  // namespace

void TestServers::FreezeRedis() {
  MustRun(absl::StrCat("kill -STOP ", PidFrom(absl::StrCat(dir_, "/redis.pid"))));
}

void TestServers::ThawRedis() {
  MustRun(absl::StrCat("kill -CONT ", PidFrom(absl::StrCat(dir_, "/redis.pid"))));
}

void TestServers::StopMysql() {
  RunCommand(absl::StrCat("bash -c 'source ", Script(), "; stop_pidfile ", dir_,
                          "/mysql.pid' >/dev/null 2>&1"));
}

void TestServers::StartMysql() {
  MustRun(absl::StrCat("AGGPAY_MYSQL_PASSWORD=aggpay bash ", Script(), " start-mysql ", dir_, " ",
                       mysql_port_));
}

void TestServers::Sql(const std::string& database, const std::string& statement) {
  std::string escaped;
  for (char c : statement) {
    if (c == '\'') {
      escaped += "'\\''";
    } else {
      escaped += c;
    }
  }
  MustRun(absl::StrCat("mariadb --no-defaults -h127.0.0.1 -P", mysql_port_, " -uroot ", database,
                       " -e '", escaped, "'"));
}

common::MysqlOptions TestServers::CreateDatabase(const std::string& prefix) {
  common::MysqlOptions options;
  options.host = "127.0.0.1";
  options.port = mysql_port_;
  options.user = "aggpay";
  options.password = "aggpay";
  options.database = absl::StrCat(prefix, "_", getpid(), "_", ++databases_);
  options.pool_size = 4;
  if (absl::Status s = common::EnsureDatabase(options); !s.ok()) {
    throw std::runtime_error(std::string(s.message()));
  }
  auto pool = common::MysqlPool::Create(options);
  if (!pool.ok()) throw std::runtime_error(std::string(pool.status().message()));
  auto applied = common::ApplyMigrations(**pool, absl::StrCat(SourceDir(), "/sql/migrations"));
  if (!applied.ok()) throw std::runtime_error(std::string(applied.status().message()));
  return options;
}

common::RedisOptions TestServers::Redis() const {
  common::RedisOptions options;
  options.host = "127.0.0.1";
  options.port = redis_port_;
  return options;
}

TestServers& SharedServers() {
  static auto* servers = new TestServers();
  static const bool registered = [] {
    std::atexit([] { delete servers; });
    return true;
  }();
  (void)registered;
  return *servers;
}

}  // namespace aggpay::testing
